package wilayah

import (
	"math/bits"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Normalize returns the form of a region name or query that Search compares:
//
//   - lower case, with Latin-1 diacritics removed (é → e);
//   - apostrophes (' ’ ‘ ` ") are dropped inside words ("Ra'as" → "raas"), all
//     other punctuation separates words, and so does a lower-to-upper case
//     change ("sungaiRaya" → "sungai", "raya");
//   - the words kabupaten, kab, kota, kecamatan, kec, desa, kelurahan, kel,
//     administrasi, provinsi and prov are dropped (only as whole words, so
//     "Kotabaru" and "Kabanjahe" are kept), unless the name consists only
//     of such words (the village "Kota" stays "kota");
//   - the remaining words are joined without spaces, since spaces are not
//     significant in the source data ("Daratsekip" = "Darat Sekip").
//
// So "KAB. SANGGAU" → "sanggau", "Kota Administrasi Jakarta Pusat" →
// "jakartapusat", "Sungai Bangkong" → "sungaibangkong". A string without
// letters or digits normalises to "".
func Normalize(s string) string {
	var n normalizer
	n.tokenize(s)
	return string(n.norm())
}

// kindHint is a preference expressed by a stop word in a query.
type kindHint uint8

const (
	hintNone kindHint = iota
	hintKabupaten
	hintKota
	hintDesa
	hintKelurahan
	hintConflict
)

// normalizer splits a string into normalised words. It is reusable (Load
// uses one for all names) to avoid allocations.
type normalizer struct {
	buf   []byte // all words, concatenated
	ends  []int  // end offset of each word in buf
	out   []byte // scratch for norm
	allSW bool   // every word is a stop word
	hint  kindHint
}

func (n *normalizer) tokenize(s string) {
	n.buf = n.buf[:0]
	n.ends = n.ends[:0]
	n.hint = hintNone
	prevLower := false
	for i := 0; i < len(s); {
		c := s[i]
		var r rune
		if c < utf8.RuneSelf {
			r = rune(c)
			i++
		} else {
			var size int
			r, size = utf8.DecodeRuneInString(s[i:])
			i += size
		}
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			n.buf = append(n.buf, byte(r))
			prevLower = r >= 'a'
		case r >= 'A' && r <= 'Z':
			if prevLower {
				n.endWord()
			}
			n.buf = append(n.buf, byte(r+'a'-'A'))
			prevLower = false
		case r == '\'' || r == '"' || r == '`' || r == '’' || r == '‘' || r == 'ʼ' || r == '´':
			// apostrophe: ignored inside a word
		case r < utf8.RuneSelf:
			n.endWord()
			prevLower = false
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			upper := unicode.IsUpper(r)
			if upper && prevLower {
				n.endWord()
			}
			prevLower = unicode.IsLower(r)
			r = unicode.ToLower(r)
			if f, ok := foldLatin(r); ok {
				n.buf = append(n.buf, byte(f))
			} else {
				n.buf = utf8.AppendRune(n.buf, r)
			}
		default:
			n.endWord()
			prevLower = false
		}
	}
	n.endWord()
	n.allSW = true
	start := 0
	for _, end := range n.ends {
		h, stop := stopWord(n.buf[start:end])
		if !stop {
			n.allSW = false
		} else if h != hintNone {
			switch n.hint {
			case hintNone:
				n.hint = h
			case h:
			default:
				n.hint = hintConflict
			}
		}
		start = end
	}
	if n.hint == hintConflict {
		n.hint = hintNone
	}
}

func (n *normalizer) endWord() {
	last := 0
	if len(n.ends) > 0 {
		last = n.ends[len(n.ends)-1]
	}
	if len(n.buf) > last {
		n.ends = append(n.ends, len(n.buf))
	}
}

// full returns all words joined (stop words kept).
func (n *normalizer) full() []byte { return n.buf }

// norm returns the words without stop words, joined; all words if every
// word is a stop word. The result is valid until the next tokenize.
func (n *normalizer) norm() []byte {
	if n.allSW {
		return n.buf
	}
	n.out = n.out[:0]
	start := 0
	for _, end := range n.ends {
		if _, stop := stopWord(n.buf[start:end]); !stop {
			n.out = append(n.out, n.buf[start:end]...)
		}
		start = end
	}
	return n.out
}

// stopWord reports whether w is a word ignored by Search, and which kind of
// region it asks for.
func stopWord(w []byte) (kindHint, bool) {
	switch string(w) {
	case "kabupaten", "kab":
		return hintKabupaten, true
	case "kota":
		return hintKota, true
	case "desa":
		return hintDesa, true
	case "kelurahan", "kel":
		return hintKelurahan, true
	case "kecamatan", "kec", "administrasi", "provinsi", "prov":
		return hintNone, true
	}
	return hintNone, false
}

// foldLatin maps the lower-case accented letters of Latin-1 (à–ÿ) to their
// ASCII base letter.
func foldLatin(r rune) (rune, bool) {
	// One ASCII byte per code point from U+00E0; '_' means no mapping.
	const table = "aaaaaaaceeeeiiii" + "dnooooo_ouuuuy_y"
	if r < 0xE0 || r > 0xFF {
		return r, false
	}
	if c := table[r-0xE0]; c != '_' {
		return rune(c), true
	}
	return r, false
}

// makeKeys precomputes the search keys of rs. All keys share one backing
// string to keep Load fast and small.
func makeKeys(rs []Region) []nameKey {
	var n normalizer
	arena := make([]byte, 0, len(rs)*14)
	offs := make([]int32, 0, 3*len(rs)) // normEnd, fullStart, fullEnd per region
	for _, r := range rs {
		n.tokenize(r.Name)
		norm := n.norm()
		arena = append(arena, norm...)
		normEnd := len(arena)
		fullStart := normEnd - len(norm)
		if len(norm) != len(n.full()) { // some stop words were dropped
			fullStart = len(arena)
			arena = append(arena, n.full()...)
		}
		offs = append(offs, int32(normEnd), int32(fullStart), int32(len(arena)))
	}
	s := string(arena)
	keys := make([]nameKey, len(rs))
	start := 0
	for i := range keys {
		normEnd, fullStart, fullEnd := int(offs[3*i]), int(offs[3*i+1]), int(offs[3*i+2])
		k := nameKey{norm: s[start:normEnd], full: s[fullStart:fullEnd]}
		k.normMask = letterMask(k.norm)
		k.fullMask = k.normMask
		if len(k.full) != len(k.norm) {
			k.fullMask = letterMask(k.full)
		}
		keys[i] = k
		start = fullEnd
	}
	return keys
}

// Match classes, best first.
const (
	matchExact uint8 = iota
	matchPrefix
	matchSubstring
	matchTypo
	matchNone
)

// maxTypos is the edit distance tolerated for a normalised query of n bytes.
func maxTypos(n int) int {
	switch {
	case n >= 8:
		return 2
	case n >= 4:
		return 1
	}
	return 0
}

type candidate struct {
	idx   int32
	class uint8
	miss  uint8 // 1 if the query's kind word (kota, kab, desa, kel) does not fit
	dist  uint8 // edit distance for typo matches
}

// Search returns the regions of the given level under parent (a dotted code;
// "" for the whole country) whose name matches query, best first, at most
// limit of them (limit <= 0: no limit).
//
// Names and query are compared after Normalize (and also with the kind words
// kept, so "Kota Baru" finds "Kabupaten Kotabaru"). Ranking: exact match,
// then prefix, then substring, then small typo (edit distance, counting an
// adjacent transposition as one edit: ≤ 1 for normalised queries of 4–7
// letters, ≤ 2 for 8 or more; closer first). Within a class, regions whose
// kind fits a kind word in the query come first ("kota bekasi" → Kota Bekasi
// before Kabupaten Bekasi), then ties are broken by name (ignoring case), then code.
//
// It returns nil for an empty query or one without letters or digits, for
// an invalid level, and for an unknown parent or one not above level.
func (d *Data) Search(parent string, level Level, query string, limit int) []Region {
	if level < Province || level > Village {
		return nil
	}
	if parent != "" {
		p, ok := d.Get(parent)
		if !ok || p.Level >= level {
			return nil
		}
	}
	var n normalizer
	n.tokenize(query)
	qNorm := string(n.norm())
	if qNorm == "" {
		return nil
	}
	qFull := string(n.full())
	qNormMask, qFullMask := letterMask(qNorm), letterMask(qFull)
	hint := n.hint

	lo, hi := d.under(parent, level)
	keys := d.keys[level-1][lo:hi]
	regions := d.levels[level-1][lo:hi]

	var cands []candidate
	var best topK
	if limit > 0 {
		best = topK{limit: limit, less: func(a, b candidate) bool { return candLess(regions, a, b) }}
	}
	for i := range keys {
		k := &keys[i]
		class, dist := match(qNorm, qNormMask, k.norm, k.normMask)
		if class > matchExact {
			if qFull != qNorm {
				if c, dd := match(qFull, qFullMask, k.norm, k.normMask); c < class || c == class && dd < dist {
					class, dist = c, dd
				}
			}
			if len(k.full) != len(k.norm) {
				if c, dd := match(qNorm, qNormMask, k.full, k.fullMask); c < class || c == class && dd < dist {
					class, dist = c, dd
				}
				if qFull != qNorm {
					if c, dd := match(qFull, qFullMask, k.full, k.fullMask); c < class || c == class && dd < dist {
						class, dist = c, dd
					}
				}
			}
		}
		if class == matchNone {
			continue
		}
		c := candidate{idx: int32(i), class: class, dist: uint8(dist)}
		if hint != hintNone && !hintFits(hint, regions[i]) {
			c.miss = 1
		}
		if limit > 0 {
			best.push(c)
		} else {
			cands = append(cands, c)
		}
	}
	if limit > 0 {
		cands = best.h
	}
	if len(cands) == 0 {
		return nil
	}
	slices.SortFunc(cands, func(a, b candidate) int {
		if candLess(regions, a, b) {
			return -1
		}
		if candLess(regions, b, a) {
			return 1
		}
		return 0
	})
	out := make([]Region, len(cands))
	for i, c := range cands {
		out[i] = regions[c.idx]
	}
	return out
}

func hintFits(h kindHint, r Region) bool {
	k := r.Kind()
	switch h {
	case hintKabupaten:
		return k == "kabupaten"
	case hintKota:
		return k == "kota"
	case hintDesa:
		return k == "desa" || k == "desa_adat"
	case hintKelurahan:
		return k == "kelurahan"
	}
	return true
}

func candLess(regions []Region, a, b candidate) bool {
	if a.class != b.class {
		return a.class < b.class
	}
	if a.miss != b.miss {
		return a.miss < b.miss
	}
	if a.dist != b.dist {
		return a.dist < b.dist
	}
	ra, rb := &regions[a.idx], &regions[b.idx]
	if c := compareFold(ra.Name, rb.Name); c != 0 {
		return c < 0
	}
	if ra.Name != rb.Name {
		return ra.Name < rb.Name
	}
	return ra.Code < rb.Code
}

// compareFold compares two names ignoring ASCII case ("ALue" sorts after
// "Aan").
func compareFold(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		ca, cb := a[i], b[i]
		if ca >= 'A' && ca <= 'Z' {
			ca += 'a' - 'A'
		}
		if cb >= 'A' && cb <= 'Z' {
			cb += 'a' - 'A'
		}
		if ca != cb {
			return int(ca) - int(cb)
		}
	}
	return len(a) - len(b)
}

// match classifies how name matches the normalised query q; qm and nm are
// the letterMasks of q and name.
func match(q string, qm uint32, name string, nm uint32) (class uint8, dist int) {
	switch {
	case len(name) < len(q)-2:
		return matchNone, 0
	case name == q:
		return matchExact, 0
	case strings.HasPrefix(name, q):
		return matchPrefix, 0
	case len(name) > len(q) && strings.Contains(name, q):
		return matchSubstring, 0
	}
	k := maxTypos(len(q))
	if k == 0 || len(name) > len(q)+k || len(name) < len(q)-k {
		return matchNone, 0
	}
	// Each edit adds at most one letter missing from q and removes at most
	// one letter missing from name: a cheap lower bound on the distance.
	if bits.OnesCount32(qm&^nm) > k || bits.OnesCount32(nm&^qm) > k {
		return matchNone, 0
	}
	if d, ok := editDistanceWithin(q, name, k); ok {
		return matchTypo, d
	}
	return matchNone, 0
}

// letterMask has bit c-'a' set for each letter a–z in s, bit 26 for any
// digit and bit 27 for any other byte.
func letterMask(s string) uint32 {
	var m uint32
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z':
			m |= 1 << (c - 'a')
		case c >= '0' && c <= '9':
			m |= 1 << 26
		default:
			m |= 1 << 27
		}
	}
	return m
}

const maxEditLen = 64

// editDistanceWithin returns the optimal-string-alignment distance between a
// and b (Levenshtein plus adjacent transpositions) if it is at most k (k
// small). Only the diagonal band |i-j| <= k of the table is computed; cells
// outside it hold a sentinel above k.
func editDistanceWithin(a, b string, k int) (int, bool) {
	n, m := len(a), len(b)
	if n > maxEditLen || m > maxEditLen || k < 0 || k > 8 || n-m > k || m-n > k {
		return 0, false
	}
	big := uint8(k + 1)
	var rows [3][maxEditLen + 2]uint8
	prev2, prev, cur := &rows[0], &rows[1], &rows[2]
	for j := 0; j <= min(m, k); j++ {
		prev[j] = uint8(j)
	}
	if k+1 <= m {
		prev[k+1] = big
	}
	for i := 1; i <= n; i++ {
		lo, hi := max(1, i-k), min(m, i+k)
		if lo == 1 {
			cur[0] = uint8(min(i, k+1))
		} else {
			cur[lo-1] = big
		}
		rowMin := cur[lo-1]
		for j := lo; j <= hi; j++ {
			cost := uint8(1)
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			v = min(v, big)
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if hi+1 <= m {
			cur[hi+1] = big
		}
		if rowMin > uint8(k) {
			return 0, false
		}
		prev2, prev, cur = prev, cur, prev2
	}
	d := int(prev[m])
	return d, d <= k
}

// topK keeps the limit best candidates in a max-heap (worst at the root).
type topK struct {
	limit int
	less  func(a, b candidate) bool
	h     []candidate
}

func (t *topK) push(c candidate) {
	if len(t.h) < t.limit {
		t.h = append(t.h, c)
		// sift up
		i := len(t.h) - 1
		for i > 0 {
			p := (i - 1) / 2
			if !t.less(t.h[p], t.h[i]) {
				break
			}
			t.h[p], t.h[i] = t.h[i], t.h[p]
			i = p
		}
		return
	}
	if !t.less(c, t.h[0]) {
		return
	}
	t.h[0] = c
	i := 0
	for {
		l, r := 2*i+1, 2*i+2
		m := i
		if l < len(t.h) && t.less(t.h[m], t.h[l]) {
			m = l
		}
		if r < len(t.h) && t.less(t.h[m], t.h[r]) {
			m = r
		}
		if m == i {
			return
		}
		t.h[i], t.h[m] = t.h[m], t.h[i]
		i = m
	}
}
