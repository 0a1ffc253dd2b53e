"""The guard: a suite subclass runs every standard test, or says why it does not."""

from __future__ import annotations

import textwrap

import pytest

CONFTEST = 'pytest_plugins = ["modelmesh_cdk.testing.plugin"]\n'

SUITE = """
from modelmesh_cdk.testing.suites.guard import StandardSuite


class ExampleTests(StandardSuite, standard=True):
    def test_answers(self):
        assert self.answer() == 42

    def test_is_even(self):
        assert self.answer() % 2 == 0

    def answer(self):
        raise NotImplementedError
"""


def run(pytester: pytest.Pytester, body: str) -> pytest.RunResult:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(example_suite=SUITE, test_connector=textwrap.dedent(body))
    return pytester.runpytest_inprocess("-p", "no:cacheprovider", "-o", "xfail_strict=true")


def test_an_intact_subclass_passes_with_its_guard(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        from example_suite import ExampleTests

        class TestMine(ExampleTests):
            def answer(self):
                return 42
        """,
    )
    result.assert_outcomes(passed=3)


def test_a_standard_test_set_to_none_fails_the_guard(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        from example_suite import ExampleTests

        class TestMine(ExampleTests):
            test_is_even = None

            def answer(self):
                return 42
        """,
    )
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*TestMine.test_is_even: standard test removed*"])


def test_an_override_without_xfail_fails_the_guard(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        from example_suite import ExampleTests

        class TestMine(ExampleTests):
            def answer(self):
                return 41

            def test_is_even(self):
                pass
        """,
    )
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(["*TestMine.test_is_even: standard test overridden in TestMine*"])


def test_an_xfail_without_reason_fails_the_guard(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import pytest
        from example_suite import ExampleTests

        class TestMine(ExampleTests):
            def answer(self):
                return 41

            @pytest.mark.xfail
            def test_is_even(self):
                super().test_is_even()
        """,
    )
    result.assert_outcomes(failed=2, xfailed=1)


def test_an_override_marked_xfail_with_a_reason_is_accepted_and_reported(
    pytester: pytest.Pytester,
) -> None:
    result = run(
        pytester,
        """
        import pytest
        from example_suite import ExampleTests

        class TestMine(ExampleTests):
            def answer(self):
                return 41

            @pytest.mark.xfail(reason="the upstream answers odd numbers only")
            def test_is_even(self):
                super().test_is_even()
        """,
    )
    result.assert_outcomes(failed=1, passed=1, xfailed=1)
    result.stdout.fnmatch_lines(
        [
            "*standard tests overridden with xfail*",
            "*TestMine.test_is_even: overridden with xfail: the upstream answers odd numbers only",
        ]
    )


def test_an_override_in_an_intermediate_class_is_checked_too(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        from example_suite import ExampleTests

        class Shared(ExampleTests):
            def test_answers(self):
                pass

        class TestMine(Shared):
            def answer(self):
                return 42
        """,
    )
    result.stdout.fnmatch_lines(["*TestMine.test_answers: standard test overridden in Shared*"])


def test_a_subclass_with_every_standard_test_removed_still_fails(
    pytester: pytest.Pytester,
) -> None:
    result = run(
        pytester,
        """
        from example_suite import ExampleTests

        class TestMine(ExampleTests):
            test_answers = None
            test_is_even = None
        """,
    )
    result.assert_outcomes(failed=1)


def test_added_tests_are_the_author_s_own(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        from example_suite import ExampleTests

        class TestMine(ExampleTests):
            def answer(self):
                return 42

            def test_extra_behaviour(self):
                assert self.answer() > 0
        """,
    )
    result.assert_outcomes(passed=4)


def test_keyword_selection_applies_to_the_guard(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(
        example_suite=SUITE,
        test_connector="""
        from example_suite import ExampleTests

        class TestMine(ExampleTests):
            def answer(self):
                return 42
        """,
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-k", "answers")
    result.assert_outcomes(passed=1, deselected=2)
