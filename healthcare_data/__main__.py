from healthcare_data.cli import main

raise SystemExit(main())
