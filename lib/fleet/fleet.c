/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fleet: the read side. One query gives a list of hosts for a directive (each row's
 * state and milestones derived by track.c), and the totals are counted over those
 * rows, never by a second query, so a count and its list always agree.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "fleet/track.h"

void excise_fleet_host_done(struct excise_fleet_host *h)
{
	if (!h)
		return;
	free(h->host_id);
	free(h->hostname);
	free(h->org_unit);
	free(h->platform);
	free(h->os);
	free(h->products);
	free(h->exempt_reason);
	free(h->exempt_approver);
	*h = (struct excise_fleet_host){ 0 };
}

static void totals_done(struct excise_fleet_totals *t)
{
	for (size_t i = 0; i < t->n_products; i++)
		free(t->products[i].product);
	free(t->products);
	*t = (struct excise_fleet_totals){ 0 };
}

void excise_fleet_list_free(struct excise_fleet_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		excise_fleet_host_done(&l->rows[i]);
	free(l->rows);
	free(l->org_unit);
	totals_done(&l->totals);
	free(l);
}

void excise_fleet_findings_free(struct excise_fleet_findings *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++) {
		struct excise_fleet_finding *x = &f->rows[i];
		free(x->host_id);
		free(x->hostname);
		free(x->org_unit);
		free(x->product_id);
		free(x->vendor_id);
		free(x->product_name);
		free(x->version);
		free(x->state);
		free(x->confidence);
		free(x->sources);
	}
	free(f->rows);
	free(f);
}

/* The product is on the host now, as far as its facts say. */
static bool holds_products(const struct excise_fleet_host *h)
{
	return h->state != EXCISE_FLEET_RETIRED &&
	       (h->progress == EXCISE_FLEET_IDENTIFIED || h->progress == EXCISE_FLEET_PLAN_RECORDED ||
		h->progress == EXCISE_FLEET_REMOVAL_STARTED);
}

static int add_product(struct excise_fleet_totals *t, size_t *cap, const char *p, size_t len)
{
	for (size_t i = 0; i < t->n_products; i++)
		if (strlen(t->products[i].product) == len && !memcmp(t->products[i].product, p, len)) {
			t->products[i].hosts++;
			return 0;
		}
	if (t->n_products == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		void *np = realloc(t->products, nc * sizeof(*t->products));
		if (!np)
			return -ENOMEM;
		t->products = np;
		*cap = nc;
	}
	char *s = strndup(p, len);
	if (!s)
		return -ENOMEM;
	t->products[t->n_products++] = (struct excise_fleet_product_count){ s, 1 };
	return 0;
}

static int by_hosts(const void *a, const void *b)
{
	const struct excise_fleet_product_count *x = a, *y = b;
	if (x->hosts != y->hosts)
		return x->hosts < y->hosts ? 1 : -1;
	return strcmp(x->product, y->product);
}

int excise_fleet_count(struct excise_fleet_list *l)
{
	totals_done(&l->totals);
	struct excise_fleet_totals *t = &l->totals;
	size_t cap = 0;
	for (size_t i = 0; i < l->n; i++) {
		const struct excise_fleet_host *h = &l->rows[i];
		t->rows++;
		t->state[h->state]++;
		for (size_t m = 0; m < h->n_ms && m < EXCISE_FLEET_MAX_MILESTONES; m++)
			t->ms[m][h->ms[m].status]++;
		if (h->state == EXCISE_FLEET_RETIRED)
			continue;
		t->counted++;
		if (h->state == EXCISE_FLEET_NEVER_REPORTED || h->state == EXCISE_FLEET_STALE ||
		    h->state == EXCISE_FLEET_ERROR)
			t->not_determined++;
		else
			t->determined++;
		if (!holds_products(h) || !h->products)
			continue;
		/* each product of the row once */
		for (const char *p = h->products; *p;) {
			size_t len = strcspn(p, ",");
			bool seen = false;
			for (const char *q = h->products; q < p; q += strcspn(q, ",") + (q[strcspn(q, ",")] != 0))
				if (strcspn(q, ",") == len && !memcmp(q, p, len))
					seen = true;
			int r = len && !seen ? add_product(t, &cap, p, len) : 0;
			if (r < 0)
				return r;
			p += len + (p[len] == ',');
		}
	}
	if (t->n_products)
		qsort(t->products, t->n_products, sizeof(*t->products), by_hosts);
	return 0;
}
