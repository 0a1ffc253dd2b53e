"""InstalledConnectorTests passes an installed plugin declared rightly and fails one
declared wrongly: a wrong distribution, class or snippet, or options that do not reach
the connector as start-up computes them.

Runs go to a subprocess, as the kit's other suite tests do, so the run's imports stay
out of this process.
"""

from __future__ import annotations

import pytest

CONFTEST = 'pytest_plugins = ["modelmesh_cdk.testing.plugin"]\n'

DECLARED = '''
from modelmesh_cdk.testing.suites import InstalledConnectorTests
from modelmesh_plugin_round_robin.connector import RoundRobinRotation


class TestInstalled(InstalledConnectorTests):
    connector_id = "modelmesh.round-robin.v1"
    connector_class = RoundRobinRotation
    distribution = "modelmesh-plugin-round-robin"
    config = """\\
pools:
  chat:
    capability: chat-completion
    strategy: modelmesh.round-robin.v1
    recovery:
      cooldown: 2m
"""
'''


def run(pytester: pytest.Pytester, extra: str = "") -> pytest.RunResult:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_installed=DECLARED + extra)
    return pytester.runpytest_subprocess("-p", "no:cacheprovider")


def test_a_rightly_declared_plugin_passes(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
    def check_built(self, connector):
        # The pool's section reaches the connector as start-up hands it over.
        assert connector.config.recovery.cooldown == 120.0
""",
    )
    result.assert_outcomes(passed=4)  # three standard tests and the guard


def test_options_that_do_not_reach_the_connector_fail_the_build_test(
    pytester: pytest.Pytester,
) -> None:
    result = run(
        pytester,
        """
    def check_built(self, connector):
        assert connector.config.recovery.cooldown == 60.0
""",
    )
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*test_built_from_the_yaml_configuration_that_names_it*"])


def test_a_wrong_distribution_fails_the_listing_test(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """

class TestWrongDistribution(TestInstalled):
    distribution = "modelmesh-plugin-elsewhere"
""",
    )
    result.stdout.fnmatch_lines(
        ["FAILED *TestWrongDistribution::test_listed_with_its_distribution*"]
    )
    result.assert_outcomes(passed=7, failed=1)


def test_a_wrong_class_fails_loading_and_building(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """

class TestWrongClass(TestInstalled):
    connector_class = dict
""",
    )
    result.stdout.fnmatch_lines(
        [
            "FAILED *TestWrongClass::test_loaded_by_its_id*",
            "FAILED *TestWrongClass::test_built_from_the_yaml_configuration_that_names_it*",
        ],
        consecutive=False,
    )
    result.assert_outcomes(passed=6, failed=2)


def test_a_snippet_that_does_not_name_the_connector_fails_every_test(
    pytester: pytest.Pytester,
) -> None:
    result = run(
        pytester,
        """

class TestUnnamed(TestInstalled):
    config = "pools:\\n  chat:\\n    capability: chat-completion\\n"
""",
    )
    result.stdout.fnmatch_lines(["*config must name modelmesh.round-robin.v1 exactly once*"])
    result.assert_outcomes(passed=5, failed=3)
