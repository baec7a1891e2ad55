"""Literal translations rendered once per language, literal addresses reversed once
(core/templating.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.http import HttpRequest, HttpResponse
from django.template import Context, Engine, engines
from django.template.backends.django import DjangoTemplates
from django.template.defaulttags import URLNode
from django.templatetags.i18n import TranslateNode
from django.test import override_settings
from django.urls import NoReverseMatch, path, set_script_prefix, set_urlconf
from django.utils import translation

from epitrace.core.templating import FixedTranslateNode, FixedURLNode


def _view(request: HttpRequest, **kwargs: object) -> HttpResponse:
    return HttpResponse()


# This module is the URL configuration of the address tests.
urlpatterns = [
    path("here/", _view, name="here"),
    path("cases/<int:pk>/", _view, name="case"),
]


class Moved:
    """Another URL configuration, as a request may set one (``request.urlconf``)."""

    urlpatterns = [path("moved/here/", _view, name="here")]


I18N = {"i18n": "django.templatetags.i18n"}
TEMPLATES = {
    "base.html": (
        "{% load i18n %}<title>{% translate 'Continue' %}</title>{% block body %}{% endblock %}"
    ),
    "page.html": (
        "{% extends 'base.html' %}{% load i18n %}{% block body %}"
        "{% for n in numbers %}{% if n %}[{% translate 'Send' %}]{% endif %}{% endfor %}"
        "{% with who=name %}{% translate 'Language' as label %}{{ label }}: {{ who }}{% endwith %}"
        "{% include 'part.html' %}"
        "{% translate name %}|{% translate 'Change'|upper %}|"
        "{% translate 'Change' context 'verb' %}{% endblock %}"
    ),
    "part.html": "{% load i18n %}<p>{% translate 'Thank you' %}</p>",
    "links.html": (
        "{% for n in numbers %}<a href=\"{% url 'here' %}\">{% url 'case' n %}</a>{% endfor %}"
        "{% url 'here' as there %}[{{ there }}]{% url 'nowhere' as gone %}[{{ gone }}]"
        "{% url name %}{% autoescape off %}{% url 'here' %}{% endautoescape %}"
    ),
    "broken.html": "{% url 'nowhere' %}",
    "here.html": "{% url 'here' %}",
}


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    for name, text in TEMPLATES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    loaders = [("epitrace.core.templating.Loader", ["django.template.loaders.filesystem.Loader"])]
    return Engine(dirs=[str(tmp_path)], loaders=loaders, libraries=I18N)


def _render(engine: Engine, template: str, language: str, **context: object) -> str:
    with translation.override(language):
        return engine.get_template(template).render(Context({"numbers": [0, 1, 2], **context}))


def test_a_page_says_the_same_as_with_django_own_loader_in_each_language(
    engine: Engine, tmp_path: Path
) -> None:
    plain = Engine(
        dirs=[str(tmp_path)], loaders=["django.template.loaders.filesystem.Loader"], libraries=I18N
    )
    # Back and forth: what one language rendered is not served to the other.
    for language in ["es", "en", "es", "en"]:
        fixed = _render(engine, "page.html", language, name="Send")
        assert fixed == _render(plain, "page.html", language, name="Send")
    spanish = _render(engine, "page.html", "es", name="Send")
    assert spanish == (
        "<title>Continuar</title>[Enviar][Enviar]Idioma: Send<p>Gracias</p>Enviar|CAMBIAR|Change"
    )
    assert "<title>Continue</title>" in _render(engine, "page.html", "en", name="Send")


def test_only_the_literal_tags_are_fixed(engine: Engine) -> None:
    page = engine.get_template("page.html")
    fixed = [
        n
        for n in page.nodelist.get_nodes_by_type(FixedTranslateNode)
        if isinstance(n, FixedTranslateNode)
    ]
    kept = [n for n in page.nodelist.get_nodes_by_type(TranslateNode) if type(n) is TranslateNode]
    # 'Send' in the loop and 'Language' as a variable; the included and the
    # extended templates are fixed when they are loaded in their turn.
    assert len(fixed) == 2
    # A variable, a filter and a message context are translated at each render.
    assert len(kept) == 3
    _render(engine, "page.html", "es", name="Send")
    assert all(set(node.rendered) == {"es"} for node in fixed)


def test_the_project_loads_its_templates_through_it() -> None:
    backend = engines["django"]
    assert isinstance(backend, DjangoTemplates)
    template = backend.engine.get_template("base.html")
    nodes = template.nodelist.get_nodes_by_type(TranslateNode)
    assert nodes
    assert all(isinstance(node, FixedTranslateNode) for node in nodes)


def test_fixed_addresses_are_those_django_reverses(engine: Engine, tmp_path: Path) -> None:
    plain = Engine(dirs=[str(tmp_path)], loaders=["django.template.loaders.filesystem.Loader"])
    with override_settings(ROOT_URLCONF=__name__):
        for _ in range(2):  # reversed, then kept
            fixed = _render(engine, "links.html", "en", name="here")
            assert fixed == _render(plain, "links.html", "en", name="here")
        assert fixed == (
            '<a href="/here/">/cases/0/</a><a href="/here/">/cases/1/</a>'
            '<a href="/here/">/cases/2/</a>[/here/][]/here//here/'
        )
        links = engine.get_template("links.html").nodelist
        # Literal names: in the loop, 'as' a variable (a miss too), unescaped;
        # with an argument or a variable name the tag stays Django's.
        assert len(list(links.get_nodes_by_type(FixedURLNode))) == 4
        assert len([n for n in links.get_nodes_by_type(URLNode) if type(n) is URLNode]) == 2
        with pytest.raises(NoReverseMatch):
            _render(engine, "broken.html", "en")


def test_a_fixed_address_follows_the_url_configuration_and_the_prefix(engine: Engine) -> None:
    with override_settings(ROOT_URLCONF=__name__):
        assert _render(engine, "here.html", "en") == "/here/"
        set_script_prefix("/epitrace/")
        try:
            assert _render(engine, "here.html", "en") == "/epitrace/here/"
        finally:
            set_script_prefix("/")
        set_urlconf(Moved)  # type: ignore[arg-type] # a request's own configuration (a module)
        try:
            assert _render(engine, "here.html", "en") == "/moved/here/"
        finally:
            set_urlconf(None)
        assert _render(engine, "here.html", "en") == "/here/"
    # Back to the project's configuration, where 'here' names no address.
    with pytest.raises(NoReverseMatch):
        _render(engine, "here.html", "en")
