/* uctls — editing and writing the DOM of xml.h (part 1): what a fix
 * (fix.h) changes in a scenario, and the fixed scenario written back. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xml.h"

static char *
dup_or_null(const char *s, int *oom)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		*oom = 1;
	return d;
}

struct uctls_xml_node *
uctls_xml_copy(const struct uctls_xml_node *n, struct uctls_xml_node *parent)
{
	struct uctls_xml_node *c;
	size_t i;
	int oom = 0;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->parent = parent;
	c->line = n->line;
	c->text_line = n->text_line;
	c->text_len = n->text_len;
	c->name = dup_or_null(n->name, &oom);
	c->text = dup_or_null(n->text, &oom);
	c->attrs = n->nattrs ? calloc(n->nattrs, sizeof(*c->attrs)) : NULL;
	c->children = n->nchildren ? calloc(n->nchildren, sizeof(*c->children)) : NULL;
	if (oom || (n->nattrs && c->attrs == NULL) || (n->nchildren && c->children == NULL))
		goto fail;
	for (i = 0; i < n->nattrs; i++, c->nattrs++) {
		c->attrs[i].name = dup_or_null(n->attrs[i].name, &oom);
		c->attrs[i].value = dup_or_null(n->attrs[i].value, &oom);
		if (oom) {
			c->nattrs++;
			goto fail;
		}
	}
	for (i = 0; i < n->nchildren; i++, c->nchildren++)
		if ((c->children[i] = uctls_xml_copy(n->children[i], c)) == NULL)
			goto fail;
	return c;
fail:
	uctls_xml_free(c);
	return NULL;
}

int
uctls_xml_set_attr(struct uctls_xml_node *n, const char *name, const char *value)
{
	struct uctls_xml_attr *a;
	size_t i;
	char *v;

	for (i = 0; i < n->nattrs && strcmp(n->attrs[i].name, name) != 0; i++)
		;
	if (value == NULL) {
		if (i == n->nattrs)
			return 0;
		free(n->attrs[i].name);
		free(n->attrs[i].value);
		memmove(&n->attrs[i], &n->attrs[i + 1], (n->nattrs - i - 1) * sizeof(*n->attrs));
		n->nattrs--;
		return 0;
	}
	if ((v = strdup(value)) == NULL)
		return -1;
	if (i < n->nattrs) {
		free(n->attrs[i].value);
		n->attrs[i].value = v;
		return 0;
	}
	a = realloc(n->attrs, (n->nattrs + 1) * sizeof(*a));
	if (a == NULL || (a[n->nattrs].name = strdup(name)) == NULL) {
		if (a != NULL)
			n->attrs = a;
		free(v);
		return -1;
	}
	a[n->nattrs].value = v;
	n->attrs = a;
	n->nattrs++;
	return 0;
}

struct uctls_xml_node *
uctls_xml_find(struct uctls_xml_node *n, const char *name, const char *id)
{
	struct uctls_xml_node *r;
	const char *v;
	size_t i;

	if (strcmp(n->name, name) == 0 && (id == NULL || ((v = uctls_xml_attr(n, "id")) != NULL &&
	                                                  strcmp(v, id) == 0)))
		return n;
	for (i = 0; i < n->nchildren; i++)
		if ((r = uctls_xml_find(n->children[i], name, id)) != NULL)
			return r;
	return NULL;
}

static void
put_escaped(FILE *f, const char *s, int attr)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs(attr ? "&quot;" : "\"", f); break;
		case '\n': fputs(attr ? "&#10;" : "\n", f); break;
		case '\t': fputs(attr ? "&#9;" : "\t", f); break;
		default: fputc(*s, f);
		}
	}
}

static int
only_space(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return 0;
	return 1;
}

static void
write_node(FILE *f, const struct uctls_xml_node *n, int depth)
{
	size_t i;

	fprintf(f, "%*s<%s", 2 * depth, "", n->name);
	for (i = 0; i < n->nattrs; i++) {
		fprintf(f, " %s=\"", n->attrs[i].name);
		put_escaped(f, n->attrs[i].value, 1);
		fputc('"', f);
	}
	if (n->nchildren == 0 && only_space(n->text)) {
		fputs("/>\n", f);
		return;
	}
	fputc('>', f);
	if (!only_space(n->text))
		put_escaped(f, n->text, 0);
	if (n->nchildren > 0) {
		fputc('\n', f);
		for (i = 0; i < n->nchildren; i++)
			write_node(f, n->children[i], depth + 1);
		fprintf(f, "%*s", 2 * depth, "");
	}
	fprintf(f, "</%s>\n", n->name);
}

int
uctls_xml_write(FILE *f, const struct uctls_xml_node *root)
{
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
	write_node(f, root, 0);
	return ferror(f) ? -1 : 0;
}
