package wilayah

import (
	"fmt"
	"slices"
	"strings"
)

// The source list writes some village names of Kalimantan Barat as one word
// where people, road signs and the other villages of the same pattern put a
// space: "Daratsekip" for Darat Sekip, "Sungaibangkong" for Sungai Bangkong
// (6 of Kalbar's "Sungai…" villages), "Telukbatang" inside the kecamatan the
// list itself spells "Teluk Batang". data/display-names.csv (code, the
// source's spelling, the name to show) replaces those names, so Get,
// Children and Search return the name as people write it. Only clear cases
// are listed: names whose joined words stand apart everywhere else in the
// province. A one-word name that is usual as one word ("Kotabaru",
// "Sukaraja", "Nusapati") stays as it is.
const displayNamesFile = "display-names.csv"

// displayNames reads the override list. It checks each row against the
// source: the code must exist with the spelling the row names (a changed
// source means the row must be looked at again), and the new name must
// normalise to the same search keys, so that searching is unchanged
// ("daratsekip" and "darat sekip" both still find Darat Sekip).
func displayNames(levels *[4][]Region) error {
	s, err := readString("data/" + displayNamesFile)
	if err != nil {
		return fmt.Errorf("wilayah: %w", err)
	}
	return applyDisplayNames(levels, s)
}

// applyDisplayNames puts the names of an override list (the contents of
// display-names.csv) into levels.
func applyDisplayNames(levels *[4][]Region, list string) error {
	r := &csvReader{s: list}
	if h, ok := r.line(); !ok || strings.TrimRight(h, "\r") != "code,data_name,name" {
		return fmt.Errorf("wilayah: %s: unexpected header %q", displayNamesFile, h)
	}
	var fields [3]string
	var n normalizer
	for lineNo := 2; ; lineNo++ {
		nf, ok, err := r.record(fields[:])
		if err != nil {
			return fmt.Errorf("wilayah: %s:%d: %w", displayNamesFile, lineNo, err)
		}
		if !ok {
			return nil
		}
		code, was, name := fields[0], fields[1], strings.TrimSpace(fields[2])
		if nf != 3 || name == "" {
			return fmt.Errorf("wilayah: %s:%d: want code, data_name and name", displayNamesFile, lineNo)
		}
		l := codeLevel(code)
		if l == 0 {
			return fmt.Errorf("wilayah: %s:%d: malformed code %q", displayNamesFile, lineNo, code)
		}
		rs := levels[l-1]
		i, found := slices.BinarySearchFunc(rs, code, cmpCode)
		if !found {
			return fmt.Errorf("wilayah: %s:%d: no region %s", displayNamesFile, lineNo, code)
		}
		if rs[i].Name != was {
			return fmt.Errorf("wilayah: %s:%d: region %s is now %q in the source, not %q: check the override",
				displayNamesFile, lineNo, code, rs[i].Name, was)
		}
		n.tokenize(was)
		oldNorm, oldFull := string(n.norm()), string(n.full())
		n.tokenize(name)
		if string(n.norm()) != oldNorm || string(n.full()) != oldFull {
			return fmt.Errorf("wilayah: %s:%d: %q is not %q with spaces: searching would change", displayNamesFile, lineNo, name, was)
		}
		rs[i].Name = name
	}
}
