#!/usr/bin/env bash
# Make sure MariaDB answers on 127.0.0.1:3306 as root with no password (the any-schema tests
# create and drop databases of their own there). Installs and starts it when absent; with
# CI set, the tests fail (not skip) if it still does not answer.
set -euo pipefail
URL="${HEALTHCARE_TEST_MYSQL_URL:-mysql+pymysql://root@127.0.0.1:3306/}"
answers() {
  python - "$URL" <<'PY'
import sys
from sqlalchemy import create_engine, text
try:
    with create_engine(sys.argv[1], connect_args={"connect_timeout": 3}).connect() as conn:
        conn.execute(text("SELECT 1"))
except Exception:
    sys.exit(1)
PY
}
answers && exit 0
if [ ! -x /usr/sbin/mariadbd ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server >/dev/null
fi
mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
for _ in $(seq 1 30); do
  answers && exit 0
  # A fresh install lets root in through the socket only: allow TCP without a password.
  mariadb -uroot -e "ALTER USER 'root'@'localhost' IDENTIFIED VIA mysql_native_password USING PASSWORD('');
    CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY ''; GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
    FLUSH PRIVILEGES;" 2>/dev/null || true
  sleep 1
done
echo "MariaDB did not come up at $URL" >&2
exit 1
