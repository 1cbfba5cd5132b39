-- Withdrawals (撤销公示, issue 5): when a decision is changed, revoked, or
-- confirmed illegal or void, staff withdraw its record with a reason; it is no
-- longer public from that day. change_decided_on is the date of the changing
-- decision, from which the withdrawal deadline (rules/publication.toml) counts.
ALTER TABLE records ADD COLUMN withdrawn_on TEXT;
ALTER TABLE records ADD COLUMN withdrawal_reason TEXT;
ALTER TABLE records ADD COLUMN change_decided_on TEXT;
