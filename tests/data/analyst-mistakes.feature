Feature: Mistakes an analyst makes (each scenario must fail with a one-line message)

Background: Advanced Factory Setup
  Given the healthcare database is initialized

Scenario: misspelt persona
  When I create patients using the following personas:
    | persona | count | expected_characteristics |
    | eldery_patient | 2 | age_65_plus |

Scenario: count as a word
  When I create patients using the following personas:
    | persona | count | expected_characteristics |
    | elderly_patient | five | age_65_plus |

Scenario: age range contradicting the persona
  When I use the patient builder to create a patient:
    """
    PatientBuilder()
      .withPersona('elderly_patient')
      .withAgeRange(20, 30)
      .build()
    """

Scenario: a real phone number
  When I use the patient builder to create a patient:
    """
    PatientBuilder()
      .withContact('312.867.5309')
      .build()
    """

Scenario: misspelt builder method
  When I use the patient builder to create a patient:
    """
    PatientBuilder()
      .withAgeRnge(20, 30)
      .build()
    """

Scenario: money that is not money
  Given I need a complete healthcare workflow scenario
  When I create the following interconnected data:
    | step | entity | relationships | validation_rules |
    | 1 | Provider | specialty=Cardiology,traits=specialist | valid_credentials |
    | 2 | Patient | persona=elderly_patient | valid_demographics |
    | 3 | Appointment | patient+provider,type=Consultation | business_hours |
    | 4 | Insurance_Claim | patient+provider+appointment,amount=$1,25.00 | valid_claim_data |

Scenario: misspelt specialty
  Given I need providers for different medical specialties
  When I create providers with the following configurations:
    | specialty | count | traits | practice_type |
    | Nuerology | 2 | specialist | Specialty Practice |

Scenario: specialty contradicting the practice type
  Given I need providers for different medical specialties
  When I create providers with the following configurations:
    | specialty | count | traits | practice_type |
    | Dermatology | 1 | specialist | Hospital |
