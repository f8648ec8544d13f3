package samples

import (
	"cmp"
	"slices"
	"strings"
)

// Event describes one sample event that [Build] can produce.
type Event struct {
	// Provider is the sender, as named by webhook.Providers.
	Provider string `json:"provider"`
	// Name is the sender's event name, e.g. "chat.message".
	Name string `json:"event"`
	// Description says when the sender emits the event.
	Description string `json:"description"`
	// Path is a suggested local path, e.g. "/webhooks/boostgpt".
	Path string `json:"path"`
}

// ev declares a catalog entry. Within a provider, the first entry is the
// default event.
func ev(provider, name, description string) Event {
	return Event{Provider: provider, Name: name, Description: description, Path: "/webhooks/" + provider}
}

// catalog lists every sample, grouped by provider, default event first.
var catalog = []Event{
	ev("boostgpt", "chat.message", "New chat message sent"),
	ev("boostgpt", "bot.created", "New bot created"),
	ev("boostgpt", "bot.updated", "Bot settings changed"),
	ev("boostgpt", "bot.deleted", "Bot deleted"),
	ev("boostgpt", "subscriber.added", "New subscriber captured"),
	ev("boostgpt", "training.added", "Training data added"),

	ev("sitegpt", "ADD_MESSAGE", "The chatbot sent a message to a user"),
	ev("sitegpt", "CONVERSATION_ESCALATED", "A conversation was escalated to a human"),
	ev("sitegpt", "NEW_LEAD_CAPTURE", "The chatbot captured a lead's contact details"),

	ev("mygptassistants", "conversation.created", "New conversation started"),
	ev("mygptassistants", "conversation.updated", "Conversation received a new message"),
	ev("mygptassistants", "conversation.completed", "Conversation marked as resolved"),
	ev("mygptassistants", "message.created", "New message sent (user or assistant)"),
	ev("mygptassistants", "message.updated", "Message was edited"),
	ev("mygptassistants", "message.deleted", "Message was removed"),
	ev("mygptassistants", "bot.updated", "Bot settings changed"),
	ev("mygptassistants", "bot.published", "Bot published to production"),
	ev("mygptassistants", "bot.disabled", "Bot was disabled"),

	ev("chatbase", "leads.submit", "A customer submitted name, email and phone to the chatbot"),

	ev("nexusgpt", "MESSAGE_FINALIZED", "An agent wrote a new message in a chat"),

	ev("stripe", "payment_intent.succeeded", "A payment was captured"),
	ev("stripe", "checkout.session.completed", "A Checkout session was paid"),
	ev("stripe", "customer.created", "A customer was created"),

	ev("github", "push", "Commits were pushed to a repository"),
	ev("github", "ping", "A webhook was created"),

	ev("slack", "event_callback", "Events API callback carrying a channel message"),

	ev("shopify", "orders/create", "An order was placed"),

	ev("standardwebhooks", "invoice.paid", "A generic Standard Webhooks event: an invoice was paid"),
}

// List returns every sample event, sorted by provider then name.
func List() []Event {
	out := slices.Clone(catalog)
	slices.SortFunc(out, func(a, b Event) int {
		return cmp.Or(cmp.Compare(a.Provider, b.Provider), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// lookup finds an event; name "" selects the provider's default event.
// Provider names match case-insensitively, event names exactly.
func lookup(provider, name string) (Event, error) {
	provider = strings.ToLower(provider)
	err := ErrUnknownProvider
	for _, e := range catalog {
		if e.Provider != provider {
			continue
		}
		if name == "" || e.Name == name {
			return e, nil
		}
		err = ErrUnknownEvent
	}
	return Event{}, err
}

// templateFile names the embedded body template of e.
func templateFile(e Event) string {
	return "templates/" + e.Provider + "/" + strings.ReplaceAll(e.Name, "/", "_") + ".json"
}
