"""The template loader: Django's cached loader, with each fixed translation rendered once.

A ``{% translate "Cases" %}`` of a literal renders the same text every time
for a language, yet Django's node makes a lazy string, looks the active
language up through the thread's and task's locals, walks the catalogue and
escapes the result on every render: about 8 us a tag where a variable costs
2. The tracer's case page renders some ninety of them (the menu, the labels,
the buttons), about a twentieth of its CPU (measured with the bench's round
in process; docs/queues.md). When a template is loaded, its literal
``translate`` tags are turned into ``FixedTranslateNode``: the same node,
which keeps what it rendered per language (a literal is safe text, as
Django marks it, so escaping never changes it).

A tag with a variable, a filter or a message context, and
``blocktranslate``, are left as they are.
"""

from __future__ import annotations

from typing import Any, cast

from django.template import Template, Variable
from django.template.context import Context
from django.template.loaders import cached
from django.templatetags.i18n import TranslateNode
from django.utils.translation import get_language


class FixedTranslateNode(TranslateNode):
    """A ``translate`` of a literal: rendered once per language."""

    rendered: dict[str | None, str]

    def render(self, context: Context) -> str:
        key = get_language()
        value = self.rendered.get(key)
        if value is None:
            output = super().render(context)
            # Django's node leaves a safe or plain string; either is kept as is.
            self.rendered[key] = context[self.asvar] if self.asvar else output
            return output
        if self.asvar:
            context[self.asvar] = value
            return ""
        return value


def is_fixed(node: TranslateNode) -> bool:
    """Whether the tag translates a literal, with no filter or message context."""
    expression = node.filter_expression
    var = expression.var
    return (
        type(node) is TranslateNode
        and node.message_context is None
        and not expression.filters
        and isinstance(var, Variable)
        and var.literal is not None
        and var.lookups is None
    )


def fix_translations(template: Template) -> None:
    """Turn the literal ``translate`` tags of ``template`` into fixed ones."""
    for node in template.nodelist.get_nodes_by_type(TranslateNode):
        if isinstance(node, TranslateNode) and is_fixed(node):
            # The node keeps its parse (message, asvar, noop, position for
            # errors); only its render changes, so it changes class in place
            # rather than being rebuilt in every kind of parent node.
            node.__class__ = FixedTranslateNode
            cast(FixedTranslateNode, node).rendered = {}


class Loader(cached.Loader):
    """``django.template.loaders.cached.Loader`` whose templates have fixed translations."""

    def get_template(self, template_name: str, skip: Any = None) -> Template:
        template = super().get_template(template_name, skip)
        # Once per template object: the cache hands the same one out again.
        if not getattr(template, "translations_fixed", False):
            fix_translations(template)
            template.translations_fixed = True  # type: ignore[attr-defined]
        return template
