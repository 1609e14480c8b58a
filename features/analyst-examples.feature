@analyst-examples
Feature: Test data as an analyst writes it
  Written the way a QA analyst types: phone numbers with dots, spaces or no area code,
  money with a dollar sign and thousands separators, an age range instead of an age, a
  builder chain checked in memory with .build(), and other personas, counts and
  specialties than the exercise's.

Background: Advanced Factory Setup
  Given the healthcare database is initialized
  And advanced factories are configured with personas and traits
  And data validation rules are active

@analyst-personas
Scenario: A geriatric and chronic-care panel
  When I create patients using the following personas:
    | persona | count | expected_characteristics |
    | chronic_condition_patient | 4 | age_30_80,multiple_conditions,frequent_visits |
    | elderly_patient | 3 | age_65_plus,medicare_insurance,chronic_conditions |
    | uninsured_patient | 2 | age_18_64,no_insurance,payment_plan |
  Then patients should be created with persona-appropriate characteristics
  And each patient should have realistic, consistent data
  And all generated data should pass validation rules

@analyst-builder-dots
Scenario: An elderly patient with an age range and phones written with dots and spaces
  When I use the patient builder to create a patient:
    """
    PatientBuilder()
      .withPersona('elderly_patient')
      .withAgeRange(70, 78)
      .withDemographics('Ruth', 'Okafor', null, 'female')
      .withContact('312.555.0147', null, '9 Lake Shore Drive', 'Chicago', 'IL', '60611')
      .withEmergencyContact('Ben Okafor', '(312) 555 0148')
      .withInsurance('Medicare')
      .withMedicalHistory(['Hypertension'])
      .create()
    """
  Then the patient should be created with the specified characteristics
  And the patient should have consistent persona-based defaults for unspecified fields
  And all medical history should be age-appropriate
  And insurance information should match elderly patient patterns

@analyst-builder-in-memory
Scenario: Checking a patient in memory without storing it
  When I use the patient builder to create a patient:
    """
    PatientBuilder()
      .withPersona('chronic_condition_patient')
      .withAge(58)
      .withContact('555.0171')
      .withMedicalHistory(['Diabetes Type 2', 'Hypertension'])
      .build()
    """
  Then the patient should be created with the specified characteristics
  And the patient should have consistent persona-based defaults for unspecified fields
  And all medical history should be age-appropriate
  And nothing should be stored in the database

@analyst-providers
Scenario: Specialists of a regional hospital
  Given I need providers for different medical specialties
  When I create providers with the following configurations:
    | specialty | count | traits | practice_type |
    | Neurology | 2 | specialist | Specialty Practice |
    | Orthopedics | 1 | specialist,hospital_based | Hospital |
    | Internal Medicine | 3 | primary_care | Medical Group |
  Then providers should be created with appropriate professional credentials
  And each provider should have valid NPI numbers and license numbers
  And practice information should match specialty and traits

@analyst-real-combinations
Scenario: Specialties in the settings the published figures put them in
  Given I need providers for different medical specialties
  When I create providers with the following configurations:
    | specialty | count | traits | practice_type |
    | Psychiatry | 2 | telemedicine | Virtual Practice |
    | Neurology | 1 | specialist,telemedicine | Virtual Practice |
    | Family Medicine | 1 | primary_care,telemedicine | Virtual Practice |
    | Cardiology | 1 | specialist,hospital_based | Hospital |
    | Emergency Medicine | 2 | hospital_based | Hospital |
    | Anesthesiology | 1 | hospital_based | Hospital |
  Then providers should be created with appropriate professional credentials
  And each provider should have valid NPI numbers and license numbers
  And practice information should match specialty and traits

@analyst-rejected-combination
Scenario: Dermatology by telehealth is refused: too few dermatologists work by video
  Given I need providers for different medical specialties
  When I try to create providers with the following configurations:
    | specialty | count | traits | practice_type |
    | Dermatology | 1 | telemedicine | |
  Then the providers should be refused with a message naming:
    | text |
    | Providers table row 1 |
    | Specialty 'Dermatology' is incompatible with trait 'telemedicine' |
    | 3.7% < 15.7% in ama-telehealth-2024 |
    | use a specialty fitting 'telemedicine': Internal Medicine, Family Medicine, Pediatrics, Cardiology, Psychiatry, Neurology |

@analyst-workflow
Scenario: A specialist visit billed in dollars with thousands separators
  Given I need a complete healthcare workflow scenario
  When I create the following interconnected data:
    | step | entity | relationships | validation_rules |
    | 1 | Provider | specialty=Cardiology,traits=specialist | valid_credentials,practice_info |
    | 2 | Patient | persona=elderly_patient | valid_demographics,insurance_required |
    | 3 | Appointment | patient+provider,type=Consultation | business_hours,no_conflicts |
    | 4 | Medical_Record | patient+provider+appointment | diagnosis_codes,treatment_notes |
    | 5 | Insurance_Claim | patient+provider+appointment,amount=$1,250.00 | valid_claim_data,processing_rules |
  Then all entities should be created in the correct dependency order
  And referential integrity should be maintained throughout
  And each entity should contain appropriate cross-references
  And business rules should be validated at each step
