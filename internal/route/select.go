package route

// Choice is where one delivery goes among a tunnel's attached clients.
type Choice struct {
	// Routed reports that one or more clients with routes matched: Clients
	// are those, in attach order, and Clients[0] is primary (it answers the
	// sender; the others get copies).
	//
	// Otherwise no route matched and Clients are the clients without routes,
	// in attach order, among which the tunnel's share policy (mirror,
	// balance) decides. An empty Clients then means every attached client
	// has routes and none matched: the delivery is handled as if no client
	// were attached (the tunnel's offline policy).
	Routed  bool
	Clients []int
}

// Select picks the receivers of d. clients holds each attached client's
// routes in attach order (index 0 attached first); the returned indexes point
// into it. Every client's routes are tried (they share d, so the body is
// decoded once at most).
func Select(clients []Routes, d *Delivery) Choice {
	return AppendSelect(nil, clients, d)
}

// AppendSelect is Select appending the indexes to buf[:0], so that a caller
// can reuse one slice across deliveries.
func AppendSelect(buf []int, clients []Routes, d *Delivery) Choice {
	matched := buf[:0]
	for i, rs := range clients {
		if len(rs) > 0 && rs.Match(d) {
			matched = append(matched, i)
		}
	}
	if len(matched) > 0 {
		return Choice{Routed: true, Clients: matched}
	}
	for i, rs := range clients {
		if len(rs) == 0 {
			matched = append(matched, i)
		}
	}
	return Choice{Clients: matched}
}
