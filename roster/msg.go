package roster

import (
	"time"

	"github.com/lindungi/lindungi/locales"
)

// Msg is a text for whoever fixes the list: a key of the locales catalogue
// (under "roster.") and the values it shows. A time.Time value is shown as
// the reader's language's long date ("5 Agustus 1990", "5 August 1990").
//
// A Msg is a value shared between goroutines (the Validator caches the
// region ones): nobody changes its Data.
type Msg struct {
	Key  string         // without the "roster." prefix: "nik_length"
	Data map[string]any // the values the text shows; nil when it shows none
}

// keyPrefix is what the catalogue's keys of this package start with.
const keyPrefix = "roster."

// KeyExcelNIK is the key of the problem of a NIK a spreadsheet stored as a
// number (its last digits lost).
const KeyExcelNIK = "excel_nik"

// msg makes a Msg from a key and name, value pairs. Keys are always string
// literals or constants here: a test checks each is in every language.
func msg(key string, kv ...any) Msg {
	m := Msg{Key: key}
	if len(kv) > 0 {
		m.Data = make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			m.Data[kv[i].(string)] = kv[i+1]
		}
	}
	return m
}

// Text renders the message in lang. It does not change m.Data: a message
// showing a date renders from a copy.
func (m Msg) Text(cat *locales.Catalog, lang string) string {
	data := m.Data
	for _, v := range m.Data {
		if _, ok := v.(time.Time); ok {
			data = make(map[string]any, len(m.Data))
			for k, v := range m.Data {
				if t, ok := v.(time.Time); ok {
					v = cat.Date(lang, t)
				}
				data[k] = v
			}
			break
		}
	}
	return cat.T(lang, keyPrefix+m.Key, data)
}
