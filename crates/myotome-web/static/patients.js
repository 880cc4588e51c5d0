// Patients: search as you type (being built).
