"""What a connector author sees: a conftest line and a few-line subclass run the suite.

These runs go to a subprocess: an in-process run would unload the HTTP stack it imported
when it ends, and the next importer would get second copies of its exception classes.
"""

from __future__ import annotations

import pytest

CONFTEST = 'pytest_plugins = ["modelmesh_cdk.testing.plugin"]\n'

OPENAI_COMPATIBLE = """
from modelmesh_cdk.base.openai_compatible import OpenAICompatibleProvider
from modelmesh_cdk.testing.suites import ProviderTests


class TestAcmeProvider(ProviderTests):
    connector_class = OpenAICompatibleProvider

    def connector_options(self, upstream_url):
        return {"base_url": upstream_url, "api_key": "sk-acme"}
"""


def run(pytester: pytest.Pytester, module: str) -> pytest.RunResult:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_acme=module)
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-o", "xfail_strict=true")


def test_a_few_line_subclass_passes_the_whole_provider_suite(pytester: pytest.Pytester) -> None:
    result = run(pytester, OPENAI_COMPATIBLE)
    assert list(result.parseoutcomes()) == ["passed"]
    result.stdout.no_fnmatch_line("*standard tests overridden*")


def test_a_provider_that_retries_by_itself_fails_the_one_call_test(
    pytester: pytest.Pytester,
) -> None:
    module = (
        OPENAI_COMPATIBLE
        + """

class RetryingProvider(OpenAICompatibleProvider):
    async def complete(self, request):
        try:
            return await super().complete(request)
        except Exception:
            return await super().complete(request)


class TestRetryingProvider(TestAcmeProvider):
    connector_class = RetryingProvider
"""
    )
    result = run(pytester, module)
    result.stdout.re_match_lines(
        [r"FAILED .*TestRetryingProvider::test_complete_calls_upstream_once_even_on_503"]
    )


def test_a_misclassifying_provider_fails_the_classification_tests(
    pytester: pytest.Pytester,
) -> None:
    module = (
        OPENAI_COMPATIBLE
        + """

class TestEverythingRetryable(TestAcmeProvider):
    connector_class = type(
        "EverythingRetryable",
        (OpenAICompatibleProvider,),
        {"classify_error": lambda self, exc: __import__("attrs").evolve(
            OpenAICompatibleProvider.classify_error(self, exc), retryable=True)},
    )
"""
    )
    result = run(pytester, module)
    result.stdout.re_match_lines(
        [r"FAILED .*TestEverythingRetryable::test_status_is_classified\[400\]"]
    )


def test_fake_upstream_starts_clean_in_every_test(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(
        test_fixture="""
        from modelmesh_cdk.testing.fake_upstream import error

        def test_scripts_a_failure(fake_upstream):
            fake_upstream.script(error(500))

        def test_sees_nothing_of_it(fake_upstream):
            assert fake_upstream.requests == []
            import httpx
            assert httpx.get(f"{fake_upstream.url}/v1/models").status_code == 200
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_manual_clock_is_fresh_in_every_test(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(
        test_fixture="""
        import datetime

        def test_moves_it(manual_clock):
            manual_clock.advance(3600)

        def test_finds_it_at_the_start(manual_clock):
            assert manual_clock.now() == datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
