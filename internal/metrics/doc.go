// Package metrics exports the relay server's measurements in the Prometheus text
// format. A *Metrics is the server's Observer (server.Config.Observer) and serves its
// own registry, never the process-global one, on the admin listener's /metrics.
//
// Metrics:
//
//	hookrelay_requests_total{tunnel,status,code}         counter: finished deliveries
//	hookrelay_request_duration_seconds{tunnel}           histogram: receipt to end of response
//	hookrelay_request_bytes_total{tunnel}                counter: request body bytes received
//	hookrelay_response_bytes_total{tunnel}               counter: response body bytes sent
//	hookrelay_store_errors_total{op}                     counter: failed store operations
//	hookrelay_connected_clients                          gauge: relay clients connected
//	hookrelay_online_tunnels                             gauge: tunnels with a client
//	hookrelay_queue_depth                                gauge: deliveries waiting in offline queues
//	hookrelay_cert_expiry_timestamp_seconds{host}        gauge: NotAfter of the served certificate
//
// plus the Go runtime (go_*) and process (process_*) collectors.
//
// status is the HTTP status the sender got, "0" when it got none (the connection
// broke first). code is the relay's own error code (such as "tunnel_offline") when the
// relay answered instead of the local app, and empty otherwise.
//
// hookrelay_store_errors_total has a series at 0 for each operation from the start
// (insert, save_body, complete, interrupt, claim, touch, and queue_depth when the queue depth is exported), so
// that rate() and absent-based alerts work before the first failure. The per-tunnel
// series appear with a tunnel's first delivery.
//
// # Cardinality
//
// The tunnel label takes one value per tunnel name that ever received a delivery
// since the process started; series are never dropped while it runs. Requests for
// names nobody claimed are not counted, so a scanner cannot add series, but every
// holder of a client token can, by opening tunnels with new names. That is fine for a
// self-hosted relay shared by one team (tens to hundreds of names). A relay handing
// out tokens to strangers should not export per-tunnel metrics: restart it to reset,
// or drop the label at scrape time with metric_relabel_configs.
package metrics
