-- One creation event per write batch and authority instead of one per record
-- (issue 10): a record created since points at the `record.created` event
-- (record_id NULL, the record's authority_code) that names who created it,
-- when and why; records created before keep their own events (NULL here).
ALTER TABLE records ADD COLUMN created_event INTEGER;
