@clinic-variations
Feature: Dynamic data for a community clinic
  The same step sentences as dynamic-data-generation.feature with other data: other
  counts, personas (the uninsured patient), specialties, traits, amounts and tolerances.
  Written without any Python change, to prove the steps are general.

Background: Advanced Factory Setup
  Given the healthcare database is initialized
  And advanced factories are configured with personas and traits
  And data validation rules are active

@clinic-personas
Scenario: A clinic's patient mix
  When I create patients using the following personas:
    | persona | count | expected_characteristics |
    | uninsured_patient | 3 | age_18_64,no_insurance,payment_plan |
    | elderly_patient | 2 | age_65_plus,medicare_insurance,chronic_conditions |
    | pediatric_patient | 3 | age_0_17,parent_contact,vaccination_schedule |
    | young_professional | 1 | age_25_40,employer_insurance |
  Then patients should be created with persona-appropriate characteristics
  And each patient should have realistic, consistent data
  And all generated data should pass validation rules
  And demographic distributions should match persona expectations

@clinic-builder
Scenario: Building an uninsured walk-in patient
  When I use the patient builder to create a patient:
    """
    PatientBuilder()
      .withPersona('uninsured_patient')
      .withAge(34)
      .withDemographics('Dana', 'Lopez', null, 'female')
      .withContact(null, null, '42 Elm Street', 'Austin', 'TX', '78701')
      .withEmergencyContact('Sam Lopez', '555-0142')
      .withMedicalHistory(['Low Back Pain'])
      .create()
    """
  Then the patient should be created with the specified characteristics
  And the patient should have consistent persona-based defaults for unspecified fields
  And all medical history should be age-appropriate
  And insurance information should match uninsured patient patterns

@clinic-providers
Scenario: The clinic's providers
  Given I need providers for different medical specialties
  When I create providers with the following configurations:
    | specialty | count | traits | practice_type |
    | Family Medicine | 2 | primary_care | Clinic |
    | Orthopedics | 2 | specialist,hospital_based | Hospital |
    | Dermatology | 1 | specialist | Specialty Practice |
    | Psychiatry | 1 | telemedicine | Virtual Practice |
    | Radiology | 1 | hospital_based | Hospital |
  Then providers should be created with appropriate professional credentials
  And each provider should have valid NPI numbers and license numbers
  And practice information should match specialty and traits
  And contact information should be professional and realistic

@clinic-scheduling
Scenario: Booking the clinic's week
  Given I have patients with different personas
  And I have providers with various specialties
  When I create appointments with the following requirements:
    | patient_persona | provider_specialty | appointment_type | scheduling_constraints |
    | uninsured_patient | Emergency Medicine | Urgent Care | urgent |
    | elderly_patient | Cardiology | Follow-up | morning_preferred,routine |
    | young_professional | Psychiatry | Therapy Session | evening_available,telemedicine |
    | pediatric_patient | Family Medicine | Well-Child Visit | school_hours_avoided,routine |
    | chronic_condition_patient | Cardiology | Consultation | regular_interval |
  Then appointments should be scheduled within business hours
  And appointment types should be appropriate for provider specialties
  And scheduling should respect patient persona preferences
  And no double-booking conflicts should occur
  And appointment durations should match appointment types

@clinic-workflow
Scenario: A chronic-care visit from booking to claim
  Given I need a complete healthcare workflow scenario
  When I create the following interconnected data:
    | step | entity | relationships | validation_rules |
    | 1 | Provider | specialty=Family_Medicine,traits=primary_care | valid_credentials,practice_info |
    | 2 | Patient | persona=chronic_condition_patient | valid_demographics,insurance_required |
    | 3 | Appointment | patient+provider,type=Follow-up | business_hours,no_conflicts |
    | 4 | Medical_Record | patient+provider+appointment | diagnosis_codes,treatment_notes |
    | 5 | Insurance_Claim | patient+provider+appointment,amount=$1275.50 | valid_claim_data,processing_rules |
  Then all entities should be created in the correct dependency order
  And referential integrity should be maintained throughout
  And each entity should contain appropriate cross-references
  And business rules should be validated at each step
  And the complete workflow should be realistic and consistent

@clinic-bulk
Scenario: A quarter of clinic data
  When I generate a large healthcare dataset:
    | entity_type | count | constraints | performance_target |
    | patients | 300 | diverse_personas,realistic_demographics | <20_seconds |
    | providers | 150 | all_specialties | <5_seconds |
    | appointments | 1200 | business_hours,no_conflicts,3_month_range | <20_seconds |
    | medical_records | 600 | diagnosis_codes | <20_seconds |
    | insurance_claims | 500 | valid_amounts | <10_seconds |
  Then all entities should be generated within performance targets
  And data should maintain realistic distribution patterns
  And referential integrity should be preserved across all entities
  And no business rule violations should occur
  And memory usage should remain within acceptable limits

@clinic-validation
Scenario: Validating the clinic's data with looser statistics
  Given I have generated healthcare data using various personas and traits
  When I run comprehensive data validation:
    | validation_type | scope | compliance_standard | error_tolerance |
    | referential_integrity | cross_entity_references | database_constraints | 0% |
    | format_validation | all_entities | internal_standards | 0% |
    | compliance_check | patient_data | hipaa_requirements | 0% |
    | business_rules | all_relationships | healthcare_workflow | 1% |
    | data_quality | demographic_distributions | statistical_realism | 10% |
  Then all format validations should pass without errors
  And business rule violations should be within tolerance
  And HIPAA compliance should be maintained for all patient data
  And demographic distributions should reflect realistic population patterns
  And all cross-references should maintain referential integrity

@clinic-errors
Scenario: The clinic's front desk makes mistakes
  When I attempt to create problematic healthcare data scenarios:
    | error_scenario | expected_behavior | recovery_strategy |
    | duplicate_npi_number | uniqueness_constraint_violation | generate_new_npi |
    | patient_age_inconsistency | persona_validation_error | adjust_age_or_persona |
    | invalid_appointment_conflict | validation_error | suggest_alternative_times |
  Then each error scenario should be handled gracefully
  And descriptive error messages should be provided
  And recovery strategies should be offered when possible
  And the system should remain stable after error conditions
  And no partial or corrupted data should be persisted

@clinic-cleanup
Scenario: Closing the clinic's test environment
  Given I have created a complex healthcare dataset with multiple relationships
  When I execute the advanced cleanup procedure
  Then data should be cleaned up in reverse dependency order
  And all foreign key constraints should be respected
  And no orphaned records should remain in any table
  And database sequences should be reset appropriately
  And cleanup should complete without constraint violations
  And the database should return to a completely clean state
