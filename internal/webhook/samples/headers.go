package samples

// header is one templated request header.
type header struct {
	name, value string
}

// jsonHeaders are sent by every sample; the User-Agent values of the
// smaller senders are illustrative, as their documentation does not state
// them.
func jsonHeaders(userAgent string, more ...header) []header {
	return append([]header{{"Content-Type", "application/json"}, {"User-Agent", userAgent}}, more...)
}

// providerHeaders are the request headers each sender adds, as templates
// (see placeholder). Signature headers are left to the caller's Scheme.
var providerHeaders = map[string][]header{
	"boostgpt":        jsonHeaders("BoostGPT-Webhooks/1.0"),
	"sitegpt":         jsonHeaders("SiteGPT-Webhooks/1.0"),
	"mygptassistants": jsonHeaders("MyGPTAssistants-Webhooks/1.0"),
	"chatbase":        jsonHeaders("Chatbase-Webhooks/1.0"),
	"nexusgpt":        jsonHeaders("NexusGPT-Webhooks/1.0"),
	"stripe": {
		{"Content-Type", "application/json; charset=utf-8"},
		{"User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)"},
	},
	"github": jsonHeaders("GitHub-Hookshot/{{hex:7:ua}}",
		header{"X-GitHub-Event", "{{event}}"},
		header{"X-GitHub-Delivery", "{{uuid:delivery}}"},
		header{"X-GitHub-Hook-ID", "{{num:9:hook}}"},
		header{"X-GitHub-Hook-Installation-Target-Type", "repository"},
		header{"X-GitHub-Hook-Installation-Target-ID", "{{num:9:repo}}"}),
	"slack": jsonHeaders("Slackbot 1.0 (+https://api.slack.com/robots)"),
	"shopify": jsonHeaders("Shopify-Captain-Hook",
		header{"X-Shopify-Topic", "{{event}}"},
		header{"X-Shopify-Shop-Domain", "example-shop.myshopify.com"},
		header{"X-Shopify-API-Version", "2025-01"},
		header{"X-Shopify-Webhook-Id", "{{uuid:webhook}}"},
		header{"X-Shopify-Event-Id", "{{uuid:event}}"},
		header{"X-Shopify-Triggered-At", "{{rfc3339ms}}"}),
	"standardwebhooks": jsonHeaders("Svix-Webhooks/1.56.0"),
}
