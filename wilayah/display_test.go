package wilayah

import (
	"slices"
	"strings"
	"testing"
)

// The village names Kalbar's people write with a space are shown with it,
// and searching finds them written either way.
func TestDisplayNames(t *testing.T) {
	d := load(t)
	for code, want := range map[string]string{
		"61.71.05.1002": "Darat Sekip", "61.71.05.1001": "Sungai Bangkong", "61.71.05.1005": "Sungai Jawi",
		"61.71.03.1002": "Sungai Jawi Dalam", "61.71.03.1004": "Sungai Beliung", "61.11.03.2004": "Sungai Paduan",
		"61.11.03.2003": "Teluk Batang", "61.71.02.1001": "Parit Mayor", "61.71.06.1004": "Bangka Belitung Darat",
		// Outside Kalbar, and names usual as one word, are as in the source.
		"32.01.25.2001": "Batulayang", "61.71.01.1005": "Kotabaru", "61.02.07.2007": "Nusapati",
	} {
		if r, ok := d.Get(code); !ok || r.Name != want {
			t.Errorf("Get(%s) = %q, %v; want %q", code, r.Name, ok, want)
		}
	}
	var names []string
	for _, r := range d.Children("61.71.05") {
		names = append(names, r.Name)
	}
	if !slices.Contains(names, "Darat Sekip") || !slices.Contains(names, "Sungai Bangkong") || slices.Contains(names, "Daratsekip") {
		t.Errorf("Children(61.71.05) = %q", names)
	}
	for _, q := range []string{"daratsekip", "darat sekip", "Darat Sekip", "DARATSEKIP", "Kel. Daratsekip", "darat sekib"} {
		got := d.Search("61.71.05", Village, q, 3)
		if len(got) == 0 || got[0].Code != "61.71.05.1002" || got[0].Name != "Darat Sekip" {
			t.Errorf("Search(%q) = %v", q, got)
		}
	}
	if got := d.Search("61", Village, "sungai bangkong", 1); len(got) != 1 || got[0].Name != "Sungai Bangkong" {
		t.Errorf("Search(sungai bangkong) = %v", got)
	}
	// No Kalbar village is left with "Sungai" joined to the next word.
	for _, dist := range d.Search("61", Village, "sungai", 0) {
		if rest, ok := strings.CutPrefix(dist.Name, "Sungai"); ok && rest != "" && rest[0] != ' ' {
			t.Errorf("%s %q: Sungai joined to the next word", dist.Code, dist.Name)
		}
	}
}

func TestDisplayNamesChecked(t *testing.T) {
	d := load(t)
	levels := func() *[4][]Region {
		var l [4][]Region
		for i := range l {
			l[i] = slices.Clone(d.levels[i])
		}
		return &l
	}
	const head = "code,data_name,name\n"
	for _, bad := range []string{
		"code,name\n61.71.01.1005,Kota Baru\n",       // header
		head + "61.71.01.9999,Kotabaru,Kota Baru\n",  // no such village
		head + "61.71.01.1005,Kota baru,Kota Baru\n", // the source spells it otherwise
		head + "61.71.01.1005,Kotabaru,Kotabaruu\n",  // more than spaces
		head + "61.71.01.1005,Kotabaru,Kota Baru\n",  // "kota" is a stop word: search would change
		head + "61.71.01,Kotabaru,Kota Baru\n",       // a district code: no district called so
		head + "6171011005,Kotabaru,Kota Baru\n",     // malformed code
		head + "61.71.01.1005,Kotabaru,\n",           // empty name
		head + "61.71.01.1005,Kotabaru\n",            // two fields
	} {
		if err := applyDisplayNames(levels(), bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
	l := levels()
	if err := applyDisplayNames(l, head+"61.71.01.1006,Akcaya,Ak Caya\r\n"); err != nil {
		t.Fatal(err)
	}
	if i, _ := slices.BinarySearchFunc(l[Village-1], "61.71.01.1006", cmpCode); l[Village-1][i].Name != "Ak Caya" {
		t.Errorf("override not applied: %q", l[Village-1][i].Name)
	}
}
