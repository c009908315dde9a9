/* Bounds-checked wire reading and writing.
 *
 * A reader (struct rbuf) never indexes past its end: every getter returns -1 on short input
 * and leaves the reader where it was. A writer (struct wbuf) records overflow in a sticky
 * flag instead of failing each call, so a builder checks once, at the end. */
#ifndef PRISM_CORE_BUF_H
#define PRISM_CORE_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct rbuf {
	const uint8_t *base; /* start of the whole message, for error offsets */
	const uint8_t *p;
	const uint8_t *end;
};

static inline struct rbuf rbuf_make(const uint8_t *base, const uint8_t *p, size_t len)
{
	return (struct rbuf){ .base = base, .p = p, .end = p + len };
}

static inline size_t rbuf_left(const struct rbuf *r) { return (size_t)(r->end - r->p); }
static inline size_t rbuf_offset(const struct rbuf *r) { return (size_t)(r->p - r->base); }

static inline int rbuf_u8(struct rbuf *r, uint8_t *v)
{
	if (r->p >= r->end)
		return -1;
	*v = *r->p++;
	return 0;
}

static inline int rbuf_u16(struct rbuf *r, uint16_t *v)
{
	if (rbuf_left(r) < 2)
		return -1;
	*v = (uint16_t)(r->p[0] << 8 | r->p[1]);
	r->p += 2;
	return 0;
}

static inline int rbuf_u32(struct rbuf *r, uint32_t *v)
{
	if (rbuf_left(r) < 4)
		return -1;
	*v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 | (uint32_t)r->p[2] << 8 | r->p[3];
	r->p += 4;
	return 0;
}

/* Points *v at the next n bytes and skips them. */
static inline int rbuf_bytes(struct rbuf *r, size_t n, const uint8_t **v)
{
	if (rbuf_left(r) < n)
		return -1;
	*v = r->p;
	r->p += n;
	return 0;
}

/* A sub-reader over the next n bytes, sharing base so offsets stay message-relative. */
static inline int rbuf_sub(struct rbuf *r, size_t n, struct rbuf *sub)
{
	if (rbuf_left(r) < n)
		return -1;
	*sub = (struct rbuf){ .base = r->base, .p = r->p, .end = r->p + n };
	r->p += n;
	return 0;
}

struct wbuf {
	uint8_t *base;
	size_t len;
	size_t cap;
	bool overflow;
};

static inline struct wbuf wbuf_make(uint8_t *base, size_t cap)
{
	return (struct wbuf){ .base = base, .len = 0, .cap = cap, .overflow = false };
}

static inline bool wbuf_room(struct wbuf *w, size_t n)
{
	if (w->overflow || w->cap - w->len < n) {
		w->overflow = true;
		return false;
	}
	return true;
}

static inline void wbuf_u8(struct wbuf *w, uint8_t v)
{
	if (wbuf_room(w, 1))
		w->base[w->len++] = v;
}

static inline void wbuf_u16(struct wbuf *w, uint16_t v)
{
	if (!wbuf_room(w, 2))
		return;
	w->base[w->len++] = (uint8_t)(v >> 8);
	w->base[w->len++] = (uint8_t)v;
}

static inline void wbuf_u32(struct wbuf *w, uint32_t v)
{
	if (!wbuf_room(w, 4))
		return;
	w->base[w->len++] = (uint8_t)(v >> 24);
	w->base[w->len++] = (uint8_t)(v >> 16);
	w->base[w->len++] = (uint8_t)(v >> 8);
	w->base[w->len++] = (uint8_t)v;
}

static inline void wbuf_bytes(struct wbuf *w, const void *v, size_t n)
{
	if (n && wbuf_room(w, n)) {
		memcpy(w->base + w->len, v, n);
		w->len += n;
	}
}

/* Reserves n bytes to be filled later (a length field); returns their offset. */
static inline size_t wbuf_reserve(struct wbuf *w, size_t n)
{
	size_t at = w->len;
	if (wbuf_room(w, n)) {
		memset(w->base + at, 0, n);
		w->len += n;
	}
	return at;
}

static inline void wbuf_put_u16_at(struct wbuf *w, size_t at, uint16_t v)
{
	if (!w->overflow && at + 2 <= w->len) {
		w->base[at] = (uint8_t)(v >> 8);
		w->base[at + 1] = (uint8_t)v;
	}
}

static inline uint16_t get_u16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}
static inline void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#endif
