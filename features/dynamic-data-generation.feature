@dynamic-data-generation @advanced-factories
Feature: Dynamic Data Generation System
  As a test automation engineer
  I want to generate realistic healthcare test data dynamically
  So that I can create comprehensive test scenarios that reflect real-world complexity

Background: Advanced Factory Setup
  Given the healthcare database is initialized
  And advanced factories are configured with personas and traits
  And data validation rules are active

@patient-personas @realistic-data
Scenario: Generating patients with different personas
  When I create patients using the following personas:
    | persona | count | expected_characteristics |
    | elderly_patient | 5 | age_65_plus,medicare_insurance,chronic_conditions |
    | young_professional | 3 | age_25_40,employer_insurance,stress_related |
    | pediatric_patient | 4 | age_0_17,parent_contact,vaccination_schedule |
    | chronic_condition_patient | 2 | multiple_conditions,frequent_visits,medication_compliance |
  Then patients should be created with persona-appropriate characteristics
  And each patient should have realistic, consistent data
  And all generated data should pass validation rules
  And demographic distributions should match persona expectations

@fluent-builders @complex-construction
Scenario: Using fluent builders for complex patient creation
  When I use the patient builder to create a patient:
    """
    PatientBuilder()
      .withPersona('elderly_patient')
      .withAge(72)
      .withDemographics('Margaret', 'Johnson', null, 'female')
      .withContact(null, null, '123 Oak Street', 'Springfield', 'IL', '62701')
      .withEmergencyContact('Robert Johnson', '555-0123')
      .withInsurance('Medicare', 'MEDICARE-789456123')
      .withMedicalHistory(['Diabetes Type 2', 'Hypertension', 'Arthritis'])
      .create()
    """
  Then the patient should be created with the specified characteristics
  And the patient should have consistent persona-based defaults for unspecified fields
  And all medical history should be age-appropriate
  And insurance information should match elderly patient patterns

@provider-specialties @professional-data
Scenario: Generating healthcare providers with realistic professional data
  Given I need providers for different medical specialties
  When I create providers with the following configurations:
    | specialty | count | traits | practice_type |
    | Internal Medicine | 3 | primary_care | Medical Center |
    | Cardiology | 2 | specialist,hospital_based | Hospital |
    | Pediatrics | 2 | primary_care | Clinic |
    | Emergency Medicine | 1 | hospital_based | Hospital |
    | Telemedicine | 2 | telemedicine | Virtual Practice |
  Then providers should be created with appropriate professional credentials
  And each provider should have valid NPI numbers and license numbers
  And practice information should match specialty and traits
  And contact information should be professional and realistic

@appointment-scheduling @business-rules
Scenario: Creating appointments with complex scheduling constraints
  Given I have patients with different personas
  And I have providers with various specialties
  When I create appointments with the following requirements:
    | patient_persona | provider_specialty | appointment_type | scheduling_constraints |
    | elderly_patient | Internal Medicine | Annual Physical | morning_preferred,routine |
    | young_professional | Cardiology | Consultation | evening_available,urgent |
    | pediatric_patient | Pediatrics | Vaccination | school_hours_avoided,routine |
    | chronic_condition_patient | Internal Medicine | Follow-up | regular_interval,telemedicine |
  Then appointments should be scheduled within business hours
  And appointment types should be appropriate for provider specialties
  And scheduling should respect patient persona preferences
  And no double-booking conflicts should occur
  And appointment durations should match appointment types

@data-relationships @referential-integrity
Scenario: Managing complex data relationships and dependencies
  Given I need a complete healthcare workflow scenario
  When I create the following interconnected data:
    | step | entity | relationships | validation_rules |
    | 1 | Patient | persona=young_professional | valid_demographics,insurance_required |
    | 2 | Provider | specialty=Internal_Medicine,traits=primary_care | valid_credentials,practice_info |
    | 3 | Appointment | patient+provider,type=Annual_Physical | business_hours,no_conflicts |
    | 4 | Medical_Record | patient+provider+appointment | diagnosis_codes,treatment_notes |
    | 5 | Insurance_Claim | patient+provider+appointment,amount=$350 | valid_claim_data,processing_rules |
  Then all entities should be created in the correct dependency order
  And referential integrity should be maintained throughout
  And each entity should contain appropriate cross-references
  And business rules should be validated at each step
  And the complete workflow should be realistic and consistent

@bulk-generation @performance-optimization
Scenario: Generating large datasets efficiently with realistic constraints
  When I generate a large healthcare dataset:
    | entity_type | count | constraints | performance_target |
    | patients | 1000 | diverse_personas,realistic_demographics | <30_seconds |
    | providers | 200 | all_specialties,geographic_distribution | <10_seconds |
    | appointments | 5000 | business_hours,no_conflicts,6_month_range | <60_seconds |
    | medical_records | 3000 | diagnosis_codes,appropriate_treatments | <45_seconds |
    | insurance_claims | 2000 | valid_amounts,processing_statuses | <30_seconds |
  Then all entities should be generated within performance targets
  And data should maintain realistic distribution patterns
  And referential integrity should be preserved across all entities
  And no business rule violations should occur
  And memory usage should remain within acceptable limits

@data-validation @compliance-checking
Scenario: Validating generated data against healthcare standards
  Given I have generated healthcare data using various personas and traits
  When I run comprehensive data validation:
    | validation_type | scope | compliance_standard | error_tolerance |
    | format_validation | all_entities | internal_standards | 0% |
    | business_rules | all_relationships | healthcare_workflow | 0% |
    | compliance_check | patient_data | hipaa_requirements | 0% |
    | data_quality | demographic_distributions | statistical_realism | 5% |
    | referential_integrity | cross_entity_references | database_constraints | 0% |
  Then all format validations should pass without errors
  And business rule violations should be within tolerance
  And HIPAA compliance should be maintained for all patient data
  And demographic distributions should reflect realistic population patterns
  And all cross-references should maintain referential integrity

@error-handling @edge-cases
Scenario: Handling data generation errors and edge cases gracefully
  When I attempt to create problematic healthcare data scenarios:
    | error_scenario | expected_behavior | recovery_strategy |
    | invalid_appointment_conflict | validation_error | suggest_alternative_times |
    | provider_specialty_mismatch | business_rule_violation | recommend_appropriate_provider |
    | patient_age_inconsistency | persona_validation_error | adjust_age_or_persona |
    | insurance_policy_format_error | format_validation_error | regenerate_valid_policy_number |
    | duplicate_npi_number | uniqueness_constraint_violation | generate_new_npi |
  Then each error scenario should be handled gracefully
  And descriptive error messages should be provided
  And recovery strategies should be offered when possible
  And the system should remain stable after error conditions
  And no partial or corrupted data should be persisted

@data-cleanup @advanced-teardown
Scenario: Cleaning up complex healthcare data with proper dependency management
  Given I have created a complex healthcare dataset with multiple relationships
  When I execute the advanced cleanup procedure
  Then data should be cleaned up in reverse dependency order
  And all foreign key constraints should be respected
  And no orphaned records should remain in any table
  And database sequences should be reset appropriately
  And cleanup should complete without constraint violations
  And the database should return to a completely clean state
