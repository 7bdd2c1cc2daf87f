package main

import "math/bits"

// histogram records durations in nanoseconds in log-linear buckets: each
// power of two is split into subBuckets equal parts, so a quantile is
// off by less than 1/subBuckets of its value. Recording is a few integer
// operations and never allocates.
type histogram struct {
	counts [64 * subBuckets]uint64
	total  uint64
	max    int64
}

const subBits = 7
const subBuckets = 1 << subBits

func bucketOf(v int64) int {
	if v < subBuckets {
		if v < 0 {
			v = 0
		}
		return int(v)
	}
	e := bits.Len64(uint64(v)) - subBits // v >> e is in [subBuckets/2, subBuckets)
	return e*(subBuckets/2) + int(uint64(v)>>e)
}

// lowerBound is the smallest value that falls in bucket b.
func lowerBound(b int) int64 {
	if b < subBuckets {
		return int64(b)
	}
	e := b/(subBuckets/2) - 1
	m := b%(subBuckets/2) + subBuckets/2
	return int64(m) << e
}

func (h *histogram) record(v int64) {
	h.counts[bucketOf(v)]++
	h.total++
	if v > h.max {
		h.max = v
	}
}

func (h *histogram) reset() { *h = histogram{} }

// quantile returns the value below which the fraction q of the samples
// fall (the lower bound of the bucket holding that sample).
func (h *histogram) quantile(q float64) int64 {
	if h.total == 0 {
		return 0
	}
	rank := uint64(q*float64(h.total) + 0.5)
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for b, n := range h.counts {
		seen += n
		if seen >= rank {
			return lowerBound(b)
		}
	}
	return h.max
}
