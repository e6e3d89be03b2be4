"""The speed-ups' install/uninstall: ours in, Rasa's back exactly as it was."""
from bot.speedups.patching import Patches


class Owner:
    def method(self):
        return "rasa"

    @staticmethod
    def helper():
        return "rasa helper"


def ours(self):
    return "ours"


def test_install_and_uninstall_put_back_the_originals_even_descriptors():
    forgotten = []
    patches = Patches((Owner, "method", ours), (Owner, "helper", staticmethod(lambda: "ours helper")),
                      after_uninstall=lambda: forgotten.append(True))
    patches.install()
    patches.install()  # idempotent: the originals were taken once, at declaration
    assert Owner().method() == "ours" and Owner().helper() == "ours helper"
    patches.uninstall()
    assert Owner().method() == "rasa"
    # a staticmethod goes back as a staticmethod: callable through an instance without `self`
    assert Owner().helper() == "rasa helper" and isinstance(Owner.__dict__["helper"], staticmethod)
    assert forgotten == [True]
