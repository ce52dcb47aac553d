"""Tests of summarize.py's paired rounds on hand-made results folders.

Run from the repository root:

    python3 -m unittest discover -s benches/compare -p 'test_*.py'
"""
import contextlib
import io
import json
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import summarize  # noqa: E402


def write_round(results, size, tool, round_number, median):
    """Writes a hyperfine export with one result whose median is `median` seconds."""
    directory = os.path.join(results, size)
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, f"{tool}.round-{round_number}.hyperfine.json")
    result = {"command": f"{tool} {size} round {round_number}", "median": median, "times": [median]}
    with open(path, "w") as file:
        json.dump({"results": [result]}, file)
    return path


def rounds_output(results):
    """Returns what print_rounds prints for `results`."""
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        summarize.print_rounds(results)
    return output.getvalue()


class PairedRoundsTest(unittest.TestCase):
    def setUp(self):
        self.results = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.results)

    def test_rounds_paired_by_number(self):
        # troposphere's round 3 is missing and a round 4 is left from an
        # earlier run into the same folder (run.sh removes no old rounds).
        for number in (1, 2, 3):
            write_round(self.results, "many", "vaultgate", number, 0.010)
        write_round(self.results, "many", "troposphere", 1, 0.500)
        write_round(self.results, "many", "troposphere", 2, 0.500)
        write_round(self.results, "many", "troposphere", 4, 0.900)

        output = rounds_output(self.results)

        # Round 3 of vaultgate against round 4 of troposphere gives 90×.
        self.assertNotIn("90×", output, "rounds with different numbers were paired:\n" + output)

    def test_uneven_rounds_not_dropped(self):
        # A run stopped during round 3 leaves vaultgate one round ahead.
        for number in (1, 2, 3):
            write_round(self.results, "big", "vaultgate", number, 0.004)
        for number in (1, 2):
            write_round(self.results, "big", "troposphere", number, 0.150)

        output = rounds_output(self.results)

        self.assertIn("big", output, "the size's two complete rounds vanished without a note")

    def test_stray_round_file_not_traceback(self):
        write_round(self.results, "default", "vaultgate", 1, 0.002)
        write_round(self.results, "default", "troposphere", 1, 0.110)
        stray = write_round(self.results, "default", "vaultgate", "1.old", 0.002)

        try:
            rounds_output(self.results)
        except AttributeError as error:
            self.fail(f"a file named {os.path.basename(stray)} raised {error!r}")
        except SystemExit as error:
            self.assertIn(os.path.basename(stray), str(error))


    def test_repeated_round_number_named(self):
        first = write_round(self.results, "many", "vaultgate", "1", 0.010)
        second = write_round(self.results, "many", "vaultgate", "01", 0.011)
        write_round(self.results, "many", "troposphere", 1, 0.500)

        with self.assertRaises(SystemExit) as raised:
            rounds_output(self.results)

        self.assertIn(os.path.basename(first), str(raised.exception))
        self.assertIn(os.path.basename(second), str(raised.exception))

    def test_unpaired_round_named(self):
        for number in (1, 2, 3):
            write_round(self.results, "big", "vaultgate", number, 0.004)
        for number in (1, 2):
            write_round(self.results, "big", "troposphere", number, 0.150)

        output = rounds_output(self.results)

        self.assertIn("| big | 1, 2 |", output)
        self.assertIn("big round 3 (only vaultgate)", output)


if __name__ == "__main__":
    unittest.main()
