"""The datasets as the package sees them: loaded by the scripts' own loader (part2_fc.load_dataset, the
copy every script shares), and told apart by origin: the course's files, the bundled ones, or others."""
from part2_fc import Dataset, load_dataset  # noqa: F401  (re-exported)

# SHA-256 of the course's original files (../shared/data/cis581), to say which data produced a run.
COURSE_SHA256 = {
    "a750b95934a620757ff4399f01012ea089feec4b8df8530bd1e1390c54cbccfd",
    "8d32857fd713faa01397ed9b867d34d1a21d441c76e5c75f378920184ad493af",
    "351e417718a42d70a8bbb68b178df19e245bcfef722d6bfc296df80cebb43b20",
    "9d8d09f61820711abc2a0db5cb5d4f4d5a0424c269d60949bacbc29dbc4c5a05",
    "2b65647ee1af1e154539d4b25c8146b9040ac15ee520613e6598d713855b12a2",
    "a671e6e9e57f89e41d768a4c2da6038a3706383467da267d607afc3583fd4a12",
    "420a533486ac6e58964c2c09f4e2d6531174e5f3d8f3e61d40ac9c15e3632cf7",
}


def origin(files):
    """"course", "bundled" or "user-supplied", from the SHA-256 of every file ({file: digest})."""
    from dlbasics.common.bundled import bundled_digests
    digests = set(files.values())
    return "course" if digests <= COURSE_SHA256 else "bundled" if digests <= bundled_digests() else "user-supplied"


def describe(data):
    """The scripts' one-line description, with the origin."""
    return data.describe().replace(f"data: {data.name}, ", f"data: {data.name} ({origin(data.files)}), ", 1)
