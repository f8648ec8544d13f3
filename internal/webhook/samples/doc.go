// Package samples builds realistic sample webhook deliveries for the
// trigger command: one body and header set per event of each supported
// sender, shaped after the senders' documentation, with fresh ids and
// timestamps and user overrides (--set data.x=y). Bodies are compact JSON
// in the sender's key order. Signing is done by the caller with a
// webhook.Scheme.
package samples
