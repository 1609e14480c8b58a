"""Shared test data: the feature file's builder example as draft_patient keywords."""

EXERCISE_PATIENT = {
    "age": 72,
    "first_name": "Margaret",
    "last_name": "Johnson",
    "gender": "female",
    "street": "123 Oak Street",
    "city": "Springfield",
    "state": "IL",
    "zip_code": "62701",
    "emergency_contact_name": "Robert Johnson",
    "emergency_contact_phone": "555-0123",
    "insurance_provider": "Medicare",
    "policy_number": "MEDICARE-789456123",
    "conditions": ["Diabetes Type 2", "Hypertension", "Arthritis"],
}
