"""The template loader: Django's cached loader; fixed translations and addresses made once.

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

Likewise a ``{% url "name" %}`` of a literal name without arguments (the
menus, the forms' actions) gives the same address every time for the same
URL configuration, script prefix and current application, where Django's
node runs ``reverse()`` on each render (about 30 us). Such tags become
``FixedURLNode``, which keeps each address it reversed; the addresses are
forgotten when the URL configuration changes (``setting_changed``, as
Django's own URL caches).
"""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template import Template, Variable
from django.template.context import Context
from django.template.defaulttags import URLNode
from django.template.loaders import cached
from django.templatetags.i18n import TranslateNode
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape
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


# Addresses reversed by fixed url tags: (view name, URL configuration, script
# prefix, current application) -> address. A few dozen names in a project.
_addresses: dict[tuple[str, Any, str, str | None], str] = {}


@receiver(setting_changed)
def _forget_addresses(*, setting: str, **kwargs: Any) -> None:
    if setting in {"ROOT_URLCONF", "FORCE_SCRIPT_NAME"}:
        _addresses.clear()


class FixedURLNode(URLNode):
    """A ``url`` tag of a literal view name without arguments: reversed once."""

    def render(self, context: Context) -> str:
        current_app = _current_app(context)
        urlconf = get_urlconf() or settings.ROOT_URLCONF
        view_name: str = self.view_name.var  # a literal: the parser kept the string
        key = (view_name, urlconf, get_script_prefix(), current_app)
        url = _addresses.get(key)
        if url is None:
            try:
                url = reverse(view_name, current_app=current_app)
            except NoReverseMatch:
                if self.asvar is None:
                    raise
                url = ""  # as Django's node: nothing, and nothing kept
            else:
                _addresses[key] = url
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


def _current_app(context: Context) -> str | None:
    """The current application as Django's url tag finds it."""
    try:
        return context.request.current_app  # type: ignore[attr-defined]
    except AttributeError:
        try:
            return context.request.resolver_match.namespace  # type: ignore[attr-defined]
        except AttributeError:
            return None


def is_fixed_url(node: URLNode) -> bool:
    """Whether the tag reverses a literal view name with no argument."""
    name = node.view_name
    return (
        type(node) is URLNode
        and not node.args
        and not node.kwargs
        and not name.filters
        and isinstance(name.var, str)  # a quoted name; a variable's is a Variable
    )


def fix_translations(template: Template) -> None:
    """Turn the literal ``translate`` and ``url`` tags of ``template`` into fixed ones."""
    for node in template.nodelist.get_nodes_by_type(TranslateNode):
        if isinstance(node, TranslateNode) and is_fixed(node):
            # The node keeps its parse (message, asvar, noop, position for
            # errors); only its render changes, so it changes class in place
            # rather than being rebuilt in every kind of parent node.
            node.__class__ = FixedTranslateNode
            cast(FixedTranslateNode, node).rendered = {}
    for node in template.nodelist.get_nodes_by_type(URLNode):
        if isinstance(node, URLNode) and is_fixed_url(node):
            node.__class__ = FixedURLNode


class Loader(cached.Loader):
    """Django's cached loader, whose templates have fixed translations and addresses."""

    def get_template(self, template_name: str, skip: Any = None) -> Template:
        template = super().get_template(template_name, skip)
        # Once per template object: the cache hands the same one out again.
        if not getattr(template, "translations_fixed", False):
            fix_translations(template)
            template.translations_fixed = True  # type: ignore[attr-defined]
        return template
