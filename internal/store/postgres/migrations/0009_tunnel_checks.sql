-- The --verify specs (with their secrets, like the lease rows and the bodies
-- this store keeps), verify mode and --handshake kinds of the client that
-- attached to a tunnel last, kept after it leaves: every node verifies the
-- tunnel's deliveries and answers its handshakes while no client is attached
-- anywhere, as the node it was attached to does. checks_gen is the generation
-- of that client's lease (0: none ever): nodes rebuild their verifier when it
-- changes.
ALTER TABLE tunnels
    ADD COLUMN verify      text[] NOT NULL DEFAULT '{}',
    ADD COLUMN verify_mode text   NOT NULL DEFAULT '',
    ADD COLUMN handshake   text[] NOT NULL DEFAULT '{}',
    ADD COLUMN checks_gen  bigint NOT NULL DEFAULT 0;
