-- The share policy a client asked for (--share): every node plans a shared
-- tunnel's deliveries with it, whichever node the client is attached to.
ALTER TABLE tunnel_leases ADD COLUMN share text NOT NULL DEFAULT '';
