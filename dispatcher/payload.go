package dispatcher

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/profilehooks/profilehooks/ent"
	"github.com/profilehooks/profilehooks/ent/schema/schematype"
	"github.com/profilehooks/profilehooks/mapping"
	"github.com/profilehooks/profilehooks/profile"
	"github.com/profilehooks/profilehooks/signing"
)

// Body returns the JSON body a delivery of ev to hook carries. With request
// parameters it is the object they describe (dotted API fields build nested
// objects) filled from the event's snapshot and event fields; without them
// it is {"type", "timestamp", "data": <every profile field>}. The body is
// built once, when the delivery is written, so every attempt sends the same
// bytes.
func Body(hook *ent.ProfileWebhook, ev *ent.ProfileEvent) ([]byte, error) {
	if len(hook.RequestParameters) == 0 {
		return json.Marshal(map[string]any{
			"type":      ev.Type,
			"timestamp": ev.OccurredAt.UTC().Format(time.RFC3339Nano),
			"data":      defaultData(ev.Snapshot),
		})
	}
	apiFields := make([]string, len(hook.RequestParameters))
	for i, r := range hook.RequestParameters {
		apiFields[i] = r.APIField
	}
	paths, err := mapping.ParsePaths(apiFields)
	if err != nil {
		return nil, fmt.Errorf("dispatcher: webhook %s has invalid request parameters: %w", hook.ID, err)
	}
	obj := make(map[string]any, len(paths))
	for i, r := range hook.RequestParameters {
		mapping.Set(obj, paths[i], value(ev, r.ProfileField))
	}
	return json.Marshal(obj)
}

// value returns the typed value of a profile or event field for ev; a field
// the snapshot does not hold (a custom field defined after the event) is
// null.
func value(ev *ent.ProfileEvent, key string) any {
	switch key {
	case profile.EventPrefix + "id":
		return ev.ID
	case profile.EventPrefix + "type":
		return string(ev.Type)
	case profile.EventPrefix + "occurredAt":
		return ev.OccurredAt.UTC().Format(time.RFC3339Nano)
	}
	return ev.Snapshot[key]
}

// defaultData is the snapshot with custom fields gathered under
// "customFields" by key.
func defaultData(snap map[string]any) map[string]any {
	data := make(map[string]any, len(snap))
	custom := map[string]any{}
	for k, v := range snap {
		if key, ok := strings.CutPrefix(k, profile.CustomPrefix); ok {
			custom[key] = v
			continue
		}
		data[k] = v
	}
	data["customFields"] = custom
	return data
}

// Request is a delivery attempt's request before it is sent.
type Request struct {
	URL     string
	Headers http.Header
	Body    []byte
	// Redact names more headers whose values the attempt log hides (a
	// credential's API key header).
	Redact []string
}

// NewRequest builds the request of an attempt of delivery d to hook at
// time now: the content type, the user agent, the webhook's custom headers,
// Profilehooks-Event, and the Standard Webhooks headers signed with every
// current secret.
func NewRequest(hook *ent.ProfileWebhook, deliveryID string, eventType schematype.EventType, body []byte, secrets []signing.Secret, userAgent string, now time.Time) Request {
	h := make(http.Header, 8+len(hook.Headers))
	for _, c := range hook.Headers {
		h.Set(c.Name, c.Value)
	}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", userAgent)
	h.Set("Profilehooks-Event", string(eventType))
	h.Set("Webhook-Id", deliveryID)
	h.Set("Webhook-Timestamp", strconv.FormatInt(now.Unix(), 10))
	h.Set("Webhook-Signature", signing.Signature(deliveryID, now, body, secrets...))
	return Request{URL: hook.URL, Headers: h, Body: body}
}

// redactedHeaders are recorded with their values replaced.
var redactedHeaders = map[string]bool{
	"Authorization": true, "Proxy-Authorization": true, "Cookie": true, "Set-Cookie": true, "X-Api-Key": true,
}

// headerList returns h as recorded on an attempt, sorted by name, with
// credentials and the headers named in redact redacted.
func headerList(h http.Header, redact ...string) []schematype.HTTPHeader {
	out := make([]schematype.HTTPHeader, 0, len(h))
	for name, values := range h {
		hide := redactedHeaders[http.CanonicalHeaderKey(name)] || slices.ContainsFunc(redact, func(r string) bool { return strings.EqualFold(r, name) })
		for _, v := range values {
			if hide {
				v = "[redacted]"
			}
			out = append(out, schematype.HTTPHeader{Name: name, Value: v})
		}
	}
	slices.SortFunc(out, func(a, b schematype.HTTPHeader) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.Value, b.Value))
	})
	return out
}
