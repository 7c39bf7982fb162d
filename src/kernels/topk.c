/*
 * topk.c
 *		Space-saving heavy hitters: counters, heap, hash table, encoding.
 */
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "topk.h"

/* Hash table size: a power of two, at least twice k. */
size_t
pp_topk_slots(uint32_t k)
{
	size_t		s = 4;

	while (s < 2 * (size_t) k)
		s *= 2;
	return s;
}

/* Start an empty summary. */
void
pp_topk_init(PpTopk *t, uint32_t k, PpTopkEntry *entries, uint32_t *heap,
			 int32_t *slots)
{
	size_t		i,
				nslots = pp_topk_slots(k);

	t->k = k;
	t->n = 0;
	t->mask = (uint32_t) (nslots - 1);
	t->total = 0;
	t->entries = entries;
	t->heap = heap;
	t->slots = slots;
	for (i = 0; i < nslots; i++)
		slots[i] = -1;
}

/* Whether entry a sorts before entry b in the heap (least count first). */
static int
heap_less(const PpTopk *t, uint32_t a, uint32_t b)
{
	return t->entries[a].count < t->entries[b].count;
}

/* Swap two heap positions, keeping heappos in step. */
static void
heap_swap(PpTopk *t, uint32_t i, uint32_t j)
{
	uint32_t	a = t->heap[i];

	t->heap[i] = t->heap[j];
	t->heap[j] = a;
	t->entries[t->heap[i]].heappos = i;
	t->entries[t->heap[j]].heappos = j;
}

/* Move the entry at heap position i down after its count grew. */
static void
sift_down(PpTopk *t, uint32_t i)
{
	for (;;)
	{
		uint32_t	l = 2 * i + 1,
					r = l + 1,
					least = i;

		if (l < t->n && heap_less(t, t->heap[l], t->heap[least]))
			least = l;
		if (r < t->n && heap_less(t, t->heap[r], t->heap[least]))
			least = r;
		if (least == i)
			return;
		heap_swap(t, i, least);
		i = least;
	}
}

/* Move the entry at heap position i up. */
static void
sift_up(PpTopk *t, uint32_t i)
{
	while (i > 0)
	{
		uint32_t	parent = (i - 1) / 2;

		if (!heap_less(t, t->heap[i], t->heap[parent]))
			return;
		heap_swap(t, i, parent);
		i = parent;
	}
}

/* Entry index of a key, or -1. */
int32_t
pp_topk_find(const PpTopk *t, uint64_t hash, const uint8_t *key, uint32_t keylen)
{
	uint32_t	i = (uint32_t) hash & t->mask;

	while (t->slots[i] >= 0)
	{
		const PpTopkEntry *e = &t->entries[t->slots[i]];

		if (e->hash == hash && e->keylen == keylen &&
			(keylen == 0 || memcmp(e->key, key, keylen) == 0))
			return t->slots[i];
		i = (i + 1) & t->mask;
	}
	return -1;
}

/* Put entry idx into the hash table. */
static void
table_insert(PpTopk *t, uint32_t idx)
{
	uint32_t	i = (uint32_t) t->entries[idx].hash & t->mask;

	while (t->slots[i] >= 0)
		i = (i + 1) & t->mask;
	t->slots[i] = (int32_t) idx;
}

/* Take entry idx out of the hash table (backward-shift deletion). */
static void
table_delete(PpTopk *t, uint32_t idx)
{
	uint32_t	i = (uint32_t) t->entries[idx].hash & t->mask;
	uint32_t	j;

	while (t->slots[i] != (int32_t) idx)
		i = (i + 1) & t->mask;
	j = i;
	for (;;)
	{
		uint32_t	home;

		j = (j + 1) & t->mask;
		if (t->slots[j] < 0)
			break;
		home = (uint32_t) t->entries[t->slots[j]].hash & t->mask;
		/* the entry at j may fill hole i unless its home lies in (i, j] */
		if (i <= j ? (home <= i || home > j) : (home <= i && home > j))
		{
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	t->slots[i] = -1;
}

/* Add an entry with the given count and error; n < k. */
uint32_t
pp_topk_insert(PpTopk *t, uint64_t hash, const uint8_t *key, uint32_t keylen,
			   int64_t count, int64_t error)
{
	uint32_t	idx = t->n++;
	PpTopkEntry *e = &t->entries[idx];

	e->hash = hash;
	e->key = key;
	e->keylen = keylen;
	e->count = count;
	e->error = error;
	e->heappos = idx;
	t->heap[idx] = idx;
	sift_up(t, idx);
	table_insert(t, idx);
	return idx;
}

/* Count occurrences of a key (the space-saving step). */
PpTopkAdded
pp_topk_add(PpTopk *t, uint64_t hash, const uint8_t *key, uint32_t keylen,
			int64_t by, uint32_t *idx, const uint8_t **old_key)
{
	int32_t		found = pp_topk_find(t, hash, key, keylen);
	PpTopkEntry *e;

	t->total += by;
	if (found >= 0)
	{
		*idx = (uint32_t) found;
		t->entries[found].count += by;
		sift_down(t, t->entries[found].heappos);
		return PP_TOPK_COUNTED;
	}
	if (t->n < t->k)
	{
		*idx = pp_topk_insert(t, hash, key, keylen, by, 0);
		return PP_TOPK_NEW;
	}

	/*
	 * give the least counter to the new key: it may have been counted up to
	 * that many times before, which becomes its error
	 */
	*idx = t->heap[0];
	e = &t->entries[*idx];
	*old_key = e->key;
	table_delete(t, *idx);
	e->hash = hash;
	e->key = key;
	e->keylen = keylen;
	e->error = e->count;
	e->count += by;
	table_insert(t, *idx);
	sift_down(t, 0);
	return PP_TOPK_REPLACED;
}

/* Least count when full, else 0. */
int64_t
pp_topk_floor(const PpTopk *t)
{
	return t->n == t->k && t->n > 0 ? t->entries[t->heap[0]].count : 0;
}

/* Order of two entries for output: count descending, then key bytes. */
static int
entry_cmp(const PpTopkEntry *a, const PpTopkEntry *b)
{
	uint32_t	len = a->keylen < b->keylen ? a->keylen : b->keylen;
	int			c;

	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	c = len == 0 ? 0 : memcmp(a->key, b->key, len);
	if (c != 0)
		return c;
	return a->keylen < b->keylen ? -1 : a->keylen > b->keylen;
}

/* The summary being ordered: qsort has no context argument (backends are
 * single-threaded, so a static is safe). */
static const PpTopk *sort_topk;

/* qsort comparator over entry indices. */
static int
order_cmp(const void *a, const void *b)
{
	return entry_cmp(&sort_topk->entries[*(const uint32_t *) a],
					 &sort_topk->entries[*(const uint32_t *) b]);
}

/* Entry indices in output order. */
void
pp_topk_order(const PpTopk *t, uint32_t *order)
{
	uint32_t	i;

	for (i = 0; i < t->n; i++)
		order[i] = i;
	sort_topk = t;
	qsort(order, t->n, sizeof(uint32_t), order_cmp);
	sort_topk = NULL;
}

/* Bytes of the encoded summary. */
size_t
pp_topk_encoded_size(const PpTopk *t)
{
	size_t		size = PP_TOPK_HEADER;
	uint32_t	i;

	for (i = 0; i < t->n; i++)
		size += PP_TOPK_ENTRY_HEADER + t->entries[i].keylen;
	return size;
}

/*
 * Encoded form (little-endian): version, three zero bytes, uint32 k,
 * uint32 n, int64 total; then per entry int64 count, int64 error, uint32
 * key length, key bytes; entries in output order.
 */
size_t
pp_topk_encode(const PpTopk *t, const uint32_t *order, uint8_t *out)
{
	uint8_t    *p = out;
	uint32_t	i;

	p[0] = PP_TOPK_VERSION;
	p[1] = p[2] = p[3] = 0;
	pp_put_le32(p + 4, t->k);
	pp_put_le32(p + 8, t->n);
	pp_put_le64(p + 12, (uint64_t) t->total);
	p += PP_TOPK_HEADER;
	for (i = 0; i < t->n; i++)
	{
		const PpTopkEntry *e = &t->entries[order[i]];

		pp_put_le64(p, (uint64_t) e->count);
		pp_put_le64(p + 8, (uint64_t) e->error);
		pp_put_le32(p + 16, e->keylen);
		if (e->keylen > 0)
			memcpy(p + PP_TOPK_ENTRY_HEADER, e->key, e->keylen);
		p += PP_TOPK_ENTRY_HEADER + e->keylen;
	}
	return (size_t) (p - out);
}

/* k from the header, 0 if the header is invalid. */
uint32_t
pp_topk_encoded_k(const uint8_t *bytes, size_t len)
{
	uint32_t	k;

	if (len < PP_TOPK_HEADER || bytes[0] != PP_TOPK_VERSION ||
		bytes[1] != 0 || bytes[2] != 0 || bytes[3] != 0)
		return 0;
	k = pp_get_le32(bytes + 4);
	return k >= 1 && k <= PP_TOPK_MAX_K ? k : 0;
}

/* Load and validate an encoded summary. */
bool
pp_topk_load(PpTopk *t, const uint8_t *bytes, size_t len,
			 uint64_t (*hash) (const uint8_t *, uint32_t))
{
	uint32_t	n,
				i;
	size_t		off = PP_TOPK_HEADER;
	int64_t		total,
				sum = 0;
	PpTopkEntry prev;

	memset(&prev, 0, sizeof(prev));
	if (pp_topk_encoded_k(bytes, len) != t->k || t->n != 0)
		return false;
	n = pp_get_le32(bytes + 8);
	total = (int64_t) pp_get_le64(bytes + 12);
	if (n > t->k || total < 0)
		return false;
	for (i = 0; i < n; i++)
	{
		int64_t		count,
					error;
		uint32_t	keylen;
		const uint8_t *key;
		uint64_t	h;
		PpTopkEntry cur;

		if (len - off < PP_TOPK_ENTRY_HEADER)
			return false;
		count = (int64_t) pp_get_le64(bytes + off);
		error = (int64_t) pp_get_le64(bytes + off + 8);
		keylen = pp_get_le32(bytes + off + 16);
		off += PP_TOPK_ENTRY_HEADER;
		if (count < 1 || error < 0 || error >= count || keylen > len - off)
			return false;
		/* a summary with a free counter has never dropped an item: exact */
		if (n < t->k && error != 0)
			return false;
		if (__builtin_add_overflow(sum, count, &sum))
			return false;
		key = bytes + off;
		off += keylen;

		cur.count = count;
		cur.key = key;
		cur.keylen = keylen;
		if (i > 0 && entry_cmp(&prev, &cur) >= 0)
			return false;
		h = hash(key, keylen);
		if (pp_topk_find(t, h, key, keylen) >= 0)
			return false;
		pp_topk_insert(t, h, key, keylen, count, error);
		prev = cur;
	}
	/* counts sum to the stream length, exactly while not full */
	if (off != len || sum > total || (n < t->k && sum != total))
		return false;
	t->total = total;
	return true;
}
