-- Lists and measures (issue 15), the overload data: the vehicle register
-- (freight vehicles with their owning enterprise, by plate) and overload
-- detections (one per vehicle, day, place and gross mass). Whether a
-- detection is over the limit is computed from rules/vehicle-limits.toml
-- when read, never stored.
CREATE TABLE vehicles (
    plate TEXT PRIMARY KEY,
    vehicle_type TEXT NOT NULL,
    axles INTEGER NOT NULL,
    enterprise_code TEXT NOT NULL,
    enterprise_name TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
);
CREATE INDEX vehicles_enterprise ON vehicles(enterprise_code, plate);
CREATE TABLE overload_detections (
    id INTEGER PRIMARY KEY,
    detected_on TEXT NOT NULL,
    place TEXT NOT NULL,
    plate TEXT NOT NULL,
    vehicle_type TEXT NOT NULL,
    axles INTEGER NOT NULL,
    single_tyre_axles INTEGER NOT NULL,
    drive_axles INTEGER,
    gross_kg INTEGER NOT NULL,
    driver_id TEXT NOT NULL,
    driver_name TEXT NOT NULL,
    enterprise_code TEXT NOT NULL,
    enterprise_name TEXT NOT NULL,
    penalty_no TEXT,
    imported_at TEXT NOT NULL,
    imported_by TEXT NOT NULL,
    UNIQUE (detected_on, plate, place, gross_kg)
);
CREATE INDEX overload_detections_day ON overload_detections(detected_on, id);
