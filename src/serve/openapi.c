/* The OpenAPI 3 document of `silt serve`, made from the route table, so every route is
 * documented and nothing is documented that is not routed. */
#include "serve_int.h"

static value schema_of(struct arena *a, const char *type)
{
	value s = v_dict(a, 1);
	vdict_sets(s.dict, "type", v_cstr(type));
	return s;
}

static value param(struct arena *a, const char *name, const char *in, const char *type,
                   const char *doc, bool required)
{
	value p = v_dict(a, 5);
	vdict_sets(p.dict, "name", v_cstr(name));
	vdict_sets(p.dict, "in", v_cstr(in));
	vdict_sets(p.dict, "required", v_bool(required));
	vdict_sets(p.dict, "description", v_cstr(doc));
	vdict_sets(p.dict, "schema", schema_of(a, type));
	return p;
}

static value content(struct arena *a, const char *type, value schema)
{
	value c = v_dict(a, 1), m = v_dict(a, 1);
	vdict_sets(m.dict, "schema", schema);
	vdict_sets(c.dict, type, m);
	return c;
}

static value ref(struct arena *a, const char *to)
{
	value r = v_dict(a, 1);
	vdict_sets(r.dict, "$ref", v_cstr(to));
	return r;
}

static value operation(struct arena *a, const struct route *rt, size_t index)
{
	value op = v_dict(a, 8), params = v_list(a, 4), responses = v_dict(a, 3);
	vdict_sets(op.dict, "summary", v_cstr(rt->summary));
	vdict_sets(op.dict, "operationId", v_cstr(arena_printf(a, "op%zu", index)));
	vdict_sets(op.dict, "x-silt-scope", v_cstr(rt->scope));
	if (!strcmp(rt->scope, "public"))
		vdict_sets(op.dict, "security", v_list(a, 0));
	for (const char *p = strchr(rt->pattern, '{'); p; p = strchr(p + 1, '{')) {
		const char *close = strchr(p, '}');
		bool rest = close[-1] == '*';
		const char *name = arena_strndup(a, p + 1, (size_t)(close - p - 1 - rest));
		vlist_push(params.list, param(a, name, "path", "string",
		                              rest ? "the rest of the path" : "path parameter", true));
	}
	for (const struct route_field *f = rt->query; f && f->name; f++)
		vlist_push(params.list, param(a, f->name, "query", f->type, f->doc, false));
	vdict_sets(op.dict, "parameters", params);
	if (rt->body) {
		value props = v_dict(a, 8), schema = v_dict(a, 3), body = v_dict(a, 2);
		for (const struct route_field *f = rt->body; f->name; f++) {
			value s = schema_of(a, f->type);
			vdict_sets(s.dict, "description", v_cstr(f->doc));
			vdict_sets(s.dict, "nullable", v_bool(true));
			vdict_sets(props.dict, f->name, s);
		}
		vdict_sets(schema.dict, "type", v_cstr("object"));
		vdict_sets(schema.dict, "additionalProperties", v_bool(false));
		vdict_sets(schema.dict, "properties", props);
		vdict_sets(body.dict, "required", v_bool(true));
		vdict_sets(body.dict, "content", content(a, "application/json", schema));
		vdict_sets(op.dict, "requestBody", body);
	}
	value ok = v_dict(a, 2);
	vdict_sets(ok.dict, "description", v_cstr(rt->paged ? "a page: {data, next_cursor}" : "OK"));
	const char *type = rt->produces ? rt->produces : "application/json";
	vdict_sets(ok.dict, "content", content(a, type, schema_of(a, strcmp(type, "application/json") ? "string" : "object")));
	vdict_sets(responses.dict, !strcmp(rt->method, "POST") ? "201" : "200", ok);
	vdict_sets(responses.dict, "4XX", ref(a, "#/components/responses/Error"));
	vdict_sets(responses.dict, "5XX", ref(a, "#/components/responses/Error"));
	vdict_sets(op.dict, "responses", responses);
	return op;
}

value serve_openapi(struct arena *a)
{
	value doc = v_dict(a, 5), info = v_dict(a, 3), paths = v_dict(a, 32);
	vdict_sets(doc.dict, "openapi", v_cstr("3.0.3"));
	vdict_sets(info.dict, "title", v_cstr("silt API"));
	vdict_sets(info.dict, "version", v_cstr("1"));
	vdict_sets(info.dict, "description",
	           v_cstr("Admin and discovery API of silt serve: environments, jobs, runs and what "
	                  "each environment has. Errors are {\"error\": {status, code, message}}."));
	vdict_sets(doc.dict, "info", info);
	for (size_t i = 0; i < serve_nroutes; i++) {
		const struct route *rt = &serve_routes[i];
		/* OpenAPI names the rest-of-path parameter without the star */
		struct buf p = BUF_INIT;
		for (const char *c = rt->pattern; *c; c++)
			if (*c != '*')
				buf_putc(&p, *c);
		value key = v_buf(a, &p), item;
		buf_release(&p);
		if (!vdict_get(paths.dict, key, &item)) {
			item = v_dict(a, 4);
			vdict_set(paths.dict, key, item);
		}
		char method[8];
		size_t k = 0;
		for (; rt->method[k] && k < sizeof(method) - 1; k++)
			method[k] = (char)(rt->method[k] | 0x20);
		method[k] = 0;
		vdict_sets(item.dict, arena_strndup(a, method, k), operation(a, rt, i));
	}
	vdict_sets(doc.dict, "paths", paths);
	value eprops = v_dict(a, 3), inner = v_dict(a, 2), errschema = v_dict(a, 2),
	      top = v_dict(a, 1), resp = v_dict(a, 2), responses = v_dict(a, 1), components = v_dict(a, 1);
	vdict_sets(eprops.dict, "status", schema_of(a, "integer"));
	vdict_sets(eprops.dict, "code", schema_of(a, "string"));
	vdict_sets(eprops.dict, "message", schema_of(a, "string"));
	vdict_sets(inner.dict, "type", v_cstr("object"));
	vdict_sets(inner.dict, "properties", eprops);
	vdict_sets(top.dict, "error", inner);
	vdict_sets(errschema.dict, "type", v_cstr("object"));
	vdict_sets(errschema.dict, "properties", top);
	vdict_sets(resp.dict, "description", v_cstr("an error"));
	vdict_sets(resp.dict, "content", content(a, "application/json", errschema));
	vdict_sets(responses.dict, "Error", resp);
	vdict_sets(components.dict, "responses", responses);
	value schemes = v_dict(a, 1), bearer = v_dict(a, 2), sec = v_list(a, 1), req = v_dict(a, 1);
	vdict_sets(bearer.dict, "type", v_cstr("http"));
	vdict_sets(bearer.dict, "scheme", v_cstr("bearer"));
	vdict_sets(schemes.dict, "token", bearer);
	vdict_sets(components.dict, "securitySchemes", schemes);
	vdict_sets(req.dict, "token", v_list(a, 0));
	vlist_push(sec.list, req);
	vdict_sets(doc.dict, "security", sec);
	vdict_sets(doc.dict, "components", components);
	return doc;
}
