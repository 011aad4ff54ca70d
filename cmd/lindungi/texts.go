package main

import (
	"fmt"

	"github.com/lindungi/lindungi/locales"
)

// textsIn checks a --lang value and returns what renders the catalogue's
// texts in it, each with its values given as name, value pairs.
func textsIn(cat *locales.Catalog, lang string) (func(key string, kv ...any) string, error) {
	if !cat.Supported(lang) {
		return nil, fmt.Errorf("--lang %q: want id or en", lang)
	}
	return func(key string, kv ...any) string {
		data := make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			data[kv[i].(string)] = kv[i+1]
		}
		return cat.T(lang, key, data)
	}, nil
}
