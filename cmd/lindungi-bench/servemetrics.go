package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// scrape is one reading of serve's /metrics: every sample of one channel,
// by its name and its labels but the channel ("lindungi_send_seconds_bucket
// le=0.05").
type scrape map[string]float64

// scrapeMetrics reads the Prometheus text at url, keeping the samples whose
// channel label is channel.
func scrapeMetrics(url, channel string) (scrape, error) {
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return parseMetrics(resp.Body, channel)
}

func parseMetrics(r io.Reader, channel string) (scrape, error) {
	out := scrape{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	want := `channel="` + channel + `"`
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || !strings.Contains(line, want) {
			continue
		}
		name, rest, ok := strings.Cut(line, "{")
		if !ok {
			continue
		}
		labels, value, ok := strings.Cut(rest, "} ")
		if !ok {
			continue
		}
		var keep []string
		for _, l := range strings.Split(labels, ",") {
			if l != want {
				keep = append(keep, strings.ReplaceAll(l, `"`, ""))
			}
		}
		v, err := strconv.ParseFloat(strings.Fields(value)[0], 64)
		if err != nil {
			continue
		}
		key := name
		if len(keep) > 0 {
			key += " " + strings.Join(keep, " ")
		}
		out[key] = v
	}
	return out, sc.Err()
}

// histogram is what a histogram gathered between two scrapes.
type histogram struct {
	count    float64
	mean     time.Duration
	p50, p99 time.Duration // the upper bound of the bucket they fall in (+Inf: past the last)
}

func (h histogram) String() string {
	if h.count == 0 {
		return "none"
	}
	return fmt.Sprintf("mean %s, p50 ≤ %s, p99 ≤ %s", roundDur(h.mean), bound(h.p50), bound(h.p99))
}

func bound(d time.Duration) string {
	if d == math.MaxInt64 {
		return "+Inf"
	}
	return d.String()
}

// histogramOf is histogram name's change from a to b.
func histogramOf(a, b scrape, name string) histogram {
	var h histogram
	h.count = b[name+"_count"] - a[name+"_count"]
	if h.count <= 0 {
		return histogram{}
	}
	h.mean = time.Duration((b[name+"_sum"] - a[name+"_sum"]) / h.count * float64(time.Second))
	type bucket struct {
		le    float64
		count float64
	}
	var buckets []bucket
	prefix := name + "_bucket le="
	for k, v := range b {
		s, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		le := math.Inf(1)
		if s != "+Inf" {
			var err error
			if le, err = strconv.ParseFloat(s, 64); err != nil {
				continue
			}
		}
		buckets = append(buckets, bucket{le, v - a[k]})
	}
	slices.SortFunc(buckets, func(x, y bucket) int { return cmpFloat(x.le, y.le) })
	at := func(q float64) time.Duration {
		for _, bk := range buckets {
			if bk.count >= q*h.count {
				if math.IsInf(bk.le, 1) {
					return math.MaxInt64
				}
				return time.Duration(bk.le * float64(time.Second))
			}
		}
		return math.MaxInt64
	}
	h.p50, h.p99 = at(0.50), at(0.99)
	return h
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
