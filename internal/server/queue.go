package server

// maxDrainBatch is how many queued deliveries are loaded at a time when a client reconnects.
const maxDrainBatch = 1000
