@patient-journeys
Feature: Patient journeys
  As a QA analyst
  I want patients' care journeys as state machines, with prescriptions, dispensings,
  referrals and payments, including the paths that go wrong
  So that integration tests exercise whole workflows against realistic data

Background: Journey setup
  Given the healthcare database is initialized
  And the journey definitions are loaded

@journeys-bulk @state-machines
Scenario: Seeding the journeys of many patients
  When I seed the journeys of 200 patients
  Then every journey should follow its state machine
  And every journey's timestamps should be in order
  And appointment statuses should agree with today's date
  And every prescription should fit its diagnosis
  And payments should add up to their claims
  And referrals should be used within 90 days or expire
  And the journeys should take these alternative paths:
    | state            |
    | cancelled        |
    | no_show          |
    | not_picked_up    |
    | referral_expired |
  And the activity segments should follow these proportions within 0.08:
    | segment  | share |
    | new      | 0.30  |
    | active   | 0.50  |
    | frequent | 0.15  |
    | inactive | 0.05  |

@journeys-builder
Scenario: A diabetic patient's journey with one follow-up and an expired referral
  When I build a journey:
    | journey      | conditions      | follow_ups | referral |
    | chronic_care | Diabetes Type 2 | 1          | expired  |
  Then the journey should pass through these states in order:
    | state              |
    | booked             |
    | attended           |
    | diagnosed          |
    | prescribed         |
    | follow_up_booked   |
    | follow_up_attended |
    | referred           |
    | referral_expired   |
  And every prescription of the journey should treat "E11.9"
  And every journey should follow its state machine
  And referrals should be used within 90 days or expire

@journeys-validation @corrupted-data
Scenario Outline: Journey validation catches corrupted data
  Given the journeys of 60 patients are seeded
  When the stored data is corrupted with "<corruption>"
  Then the validation report should name the rule "<rule>" with entity, key and recovery

  Examples:
    | corruption                                 | rule                          |
    | a completed visit moved into the future    | appointment_status_time       |
    | a past visit still marked scheduled        | appointment_status_time       |
    | a dispensing dated before its prescription | dispensing_after_prescription |
    | an illegal journey transition              | journey_transition            |
    | an expired referral still marked requested | referral_expiry               |
    | a payment that does not add up             | payments_add_up               |
    | amoxicillin prescribed for type 2 diabetes | prescription_fits_diagnosis   |

@journeys-workflow-files
Scenario: Writing workflow files for integration tests
  Given the journeys of 60 patients are seeded
  When I write the workflow files of the database
  Then there should be a workflow file per journey:
    | journey             | file                     |
    | registration        | registration.yaml        |
    | acute_care          | acute-care.yaml          |
    | chronic_care        | chronic-care.yaml        |
    | specialist_referral | specialist-referral.yaml |
    | preventive_care     | preventive-care.yaml     |
  And the workflow files should load back and pass every journey validation
  And the README should hold a state diagram per workflow
  And the summary report should show these validations as passed:
    | validation            |
    | Temporal Consistency  |
    | State Transitions     |
    | Referential Integrity |
    | Business Rules        |
    | YAML Format           |

@journeys-allocation
Scenario: Allocating records from a total
  When I generate journeys for 500 records
  Then the allocation should give every journey entity a count
  And the generated records should number between 500 and 560
