/* toyaml(value, default=None, sort_keys=False): dbt's yaml.safe_dump of a value; the default
 * when PyYAML cannot represent it (RepresenterError is a YAMLError, which dbt catches). */
#include "compile_int.h"
#include "yaml/yaml.h"

int dbt_fn_toyaml(struct jstate *st, void *data, value self, const struct vargs *args, value *out)
{
	(void)data;
	(void)self;
	value v = v_none(), dflt = v_none(), sort = v_bool(false);
	jinja_arg(args, 0, "value", &v);
	jinja_arg(args, 1, "default", &dflt);
	jinja_arg(args, 2, "sort_keys", &sort);
	struct buf b = BUF_INIT, why = BUF_INIT;
	if (yaml_write(&b, v, v_truthy(sort), &why) == 0)
		*out = v_buf(jinja_arena(st), &b);
	else
		*out = dflt;
	buf_release(&b);
	buf_release(&why);
	return 0;
}
