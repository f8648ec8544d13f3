package route_test

import (
	"fmt"
	"net/http"

	"github.com/hookrelay/hookrelay/internal/route"
)

// Three clients on one tunnel, in attach order: alice and bob without
// routes, carol with a json route. Carol's deliveries go to her alone; the
// rest go to alice and bob under the tunnel's share policy.
func ExampleSelect() {
	carol, err := route.ParseRoutes([]string{"json:data.object.metadata.dev=carol"})
	if err != nil {
		panic(err)
	}
	clients := []route.Routes{nil, nil, carol}
	h := http.Header{"Content-Type": {"application/json"}}
	for _, body := range []string{
		`{"type":"charge.succeeded","data":{"object":{"metadata":{"dev":"carol"}}}}`,
		`{"type":"charge.succeeded","data":{"object":{"metadata":{}}}}`,
	} {
		c := route.Select(clients, route.NewDelivery("POST", "/webhooks", h, []byte(body)))
		fmt.Println(c.Routed, c.Clients)
	}
	_, err = route.Parse("json:data..dev=carol")
	fmt.Println(err)
	// Output:
	// true [2]
	// false [0 1]
	// route "json:data..dev=carol": json path "data..dev": empty segment
}
