package roster

import (
	"strings"
	"time"

	"github.com/lindungi/lindungi/locales"
)

// Msg is a text for whoever fixes the list: a key of the locales catalogue
// (under "roster.") and the values it shows. A time.Time value is shown as
// the reader's language's long date ("5 Agustus 1990", "5 August 1990"), a
// Column (or []Column) by its name in that language.
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
// showing a value that reads differently by language (a date, a column's
// name, a list of columns) renders from a copy.
func (m Msg) Text(cat *locales.Catalog, lang string) string {
	data := m.Data
	for _, v := range m.Data {
		switch v.(type) {
		case time.Time, Column, []Column:
			data = make(map[string]any, len(m.Data))
			for k, v := range m.Data {
				switch v := v.(type) {
				case time.Time:
					data[k] = cat.Date(lang, v)
				case Column:
					data[k] = v.Text(cat, lang)
				case []Column:
					names := make([]string, len(v))
					for i, c := range v {
						names[i] = c.Text(cat, lang)
					}
					data[k] = strings.Join(names, ", ")
				default:
					data[k] = v
				}
			}
			return cat.T(lang, keyPrefix+m.Key, data)
		}
	}
	return cat.T(lang, keyPrefix+m.Key, data)
}
