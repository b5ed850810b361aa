/* libFuzzer target for graph/: the input is split at the first NUL byte into selector text and
 * an optional selectors.yml. Each line of the selector text is one --select value (a line
 * starting with '-' is an --exclude value, "!cautious"/"!buildable"/"!empty" set the indirect
 * mode); the selection runs against a small fixed manifest (sources, staging and marts models,
 * versions, tests, an exposure, a metric, a unit test, a package). Whatever runs must not crash;
 * a successful selection must be sorted, duplicate-free and agree with its bitset. */
#include "graph/graph.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char manifest_json[] =
    "{\"metadata\": {\"project_name\": \"shop\"},"
    " \"nodes\": {"
    "  \"model.shop.stg_a\": {\"resource_type\": \"model\", \"package_name\": \"shop\", \"name\": "
    "\"stg_a\", \"original_file_path\": \"models/staging/stg_a.sql\", \"fqn\": [\"shop\", "
    "\"staging\", \"stg_a\"], \"tags\": [\"s\", \"n\"], \"config\": {\"enabled\": true, "
    "\"materialized\": \"view\", \"meta\": {\"o\": \"x\", \"b\": true}, \"tags\": [\"s\"]}, "
    "\"depends_on\": {\"nodes\": [\"source.shop.raw.a\"]}, \"patch_path\": "
    "\"shop://models/staging/schema.yml\"},"
    "  \"model.shop.m.v1\": {\"resource_type\": \"model\", \"package_name\": \"shop\", \"name\": "
    "\"m\", \"original_file_path\": \"models/marts/m_v1.sql\", \"fqn\": [\"shop\", \"marts\", "
    "\"m\", \"v1\"], \"version\": 1, \"latest_version\": 2, \"access\": \"public\", \"config\": "
    "{\"materialized\": \"table\", \"group\": \"g\"}, \"depends_on\": {\"nodes\": "
    "[\"model.shop.stg_a\"]}},"
    "  \"model.shop.m.v2\": {\"resource_type\": \"model\", \"package_name\": \"shop\", \"name\": "
    "\"m\", \"original_file_path\": \"models/marts/m.sql\", \"fqn\": [\"shop\", \"marts\", "
    "\"m\", \"v2\"], \"version\": \"2\", \"latest_version\": 2, \"access\": \"private\", "
    "\"depends_on\": {\"nodes\": [\"model.shop.stg_a\", \"model.dep.d.x\"]}},"
    "  \"model.dep.d.x\": {\"resource_type\": \"model\", \"package_name\": \"dep\", \"name\": "
    "\"d.x\", \"original_file_path\": \"models/d.x.sql\", \"fqn\": [\"dep\", \"d.x\"]},"
    "  \"model.shop.off\": {\"resource_type\": \"model\", \"package_name\": \"shop\", \"name\": "
    "\"off\", \"fqn\": [\"shop\", \"off\"], \"config\": {\"enabled\": false}},"
    "  \"test.shop.unique_stg_a_id.1\": {\"resource_type\": \"test\", \"package_name\": "
    "\"shop\", \"name\": \"unique_stg_a_id\", \"original_file_path\": "
    "\"models/staging/schema.yml\", \"fqn\": [\"shop\", \"staging\", \"unique_stg_a_id\"], "
    "\"config\": {\"severity\": \"warn\"}, \"test_metadata\": {\"name\": \"unique\"}, "
    "\"depends_on\": {\"nodes\": [\"model.shop.stg_a\"]}},"
    "  \"test.shop.rel.2\": {\"resource_type\": \"test\", \"package_name\": \"shop\", \"name\": "
    "\"rel\", \"fqn\": [\"shop\", \"rel\"], \"test_metadata\": {\"name\": \"relationships\", "
    "\"namespace\": \"dep\"}, \"depends_on\": {\"nodes\": [\"model.shop.m.v1\", "
    "\"model.dep.d.x\"]}},"
    "  \"test.shop.singular\": {\"resource_type\": \"test\", \"package_name\": \"shop\", "
    "\"name\": \"singular\", \"original_file_path\": \"tests/singular.sql\", \"fqn\": [\"shop\", "
    "\"singular\"], \"depends_on\": {\"nodes\": [\"model.shop.m.v2\"]}}},"
    " \"sources\": {\"source.shop.raw.a\": {\"resource_type\": \"source\", \"package_name\": "
    "\"shop\", \"name\": \"a\", \"source_name\": \"raw\", \"original_file_path\": "
    "\"models/staging/src.yml\", \"fqn\": [\"shop\", \"staging\", \"raw\", \"a\"], \"tags\": "
    "[\"n\"]}},"
    " \"exposures\": {\"exposure.shop.dash\": {\"resource_type\": \"exposure\", "
    "\"package_name\": \"shop\", \"name\": \"dash\", \"fqn\": [\"shop\", \"dash\"], "
    "\"depends_on\": {\"nodes\": [\"model.shop.m.v2\"]}}},"
    " \"metrics\": {\"metric.shop.rev\": {\"resource_type\": \"metric\", \"package_name\": "
    "\"shop\", \"name\": \"rev\", \"fqn\": [\"shop\", \"rev\"], \"config\": {\"group\": \"g\"}, "
    "\"depends_on\": {\"nodes\": [\"model.shop.m.v1\"]}}},"
    " \"unit_tests\": {\"unit_test.shop.m.t\": {\"resource_type\": \"unit_test\", "
    "\"package_name\": \"shop\", \"name\": \"t\", \"fqn\": [\"shop\", \"m\", \"t\"], "
    "\"depends_on\": {\"nodes\": [\"model.shop.m.v1\"]}}}}";

static struct arena m_arena;
static struct gmanifest *manifest;

static void setup(void)
{
	struct diag d;
	diag_init(&d);
	arena_init(&m_arena);
	if (graph_load_manifest_json(&m_arena, "fuzz", manifest_json, sizeof(manifest_json) - 1,
	                             &manifest, &d))
		silt_abort("the fuzz manifest does not load");
	diag_release(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!manifest)
		setup();
	if (size > 4096)
		return 0;
	const char *text = (const char *)data;
	const char *nul = memchr(text, 0, size);
	size_t sellen = nul ? (size_t)(nul - text) : size;
	struct arena a;
	arena_init(&a);
	struct diag d;
	diag_init(&d);
	VEC(const char *) sel = {0};
	VEC(const char *) exc = {0};
	struct gselect_opts o = {0};
	const char *p = text, *end = text + sellen;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		char *line = arena_strndup(&a, p, (size_t)(eol - p));
		if (line[0] == '!')
			o.indirect =
			    (enum gindirect)(graph_indirect_parse(str_from(line + 1)) < 0
			                         ? GI_EAGER
			                         : graph_indirect_parse(str_from(line + 1)));
		else if (line[0] == '-')
			vec_push(&exc, line + 1);
		else
			vec_push(&sel, line);
		graph_selector_check(line, &d);
		p = nl ? nl + 1 : end;
	}
	struct gselectors *sels = NULL;
	if (nul &&
	    graph_selectors_load(&a, "selectors.yml", nul + 1, size - sellen - 1, &sels, &d) == 0) {
		o.selectors = sels;
		uint32_t n = graph_selectors_count(sels);
		if (n)
			o.selector = graph_selectors_name(sels, (uint32_t)(size % n));
	}
	o.select = sel.v;
	o.nselect = sel.n;
	o.exclude = exc.v;
	o.nexclude = exc.n;
	if (size & 1)
		o.resource_types = 1u << GT_MODEL | 1u << GT_TEST;
	struct gselection res;
	if (graph_select(&a, manifest, &o, &res, &d) == 0) {
		uint32_t bits = 0;
		for (uint32_t i = 0; i < manifest->n; i++)
			bits += (res.bits[i / 64] >> (i % 64)) & 1;
		if (bits != res.n)
			silt_abort("selection bitset and list disagree");
		for (uint32_t i = 1; i < res.n; i++)
			if (strcmp(res.nodes[i - 1]->unique_id, res.nodes[i]->unique_id) >= 0)
				silt_abort("selection not sorted");
		for (uint32_t i = 0; i < res.n; i++)
			if (!res.nodes[i]->enabled)
				silt_abort("a disabled node was selected");
	}
	struct buf b = BUF_INIT;
	diag_print(&d, &b);
	buf_release(&b);
	vec_free(&sel);
	vec_free(&exc);
	diag_release(&d);
	arena_release(&a);
	return 0;
}
