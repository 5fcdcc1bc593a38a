"""Bug fixes to moto_server's emulation, loaded into the moto_server hoist's tests start.

hoist's tests run against moto (`moto[server]==5.2.1`, pinned in scripts/sandbox). Where moto
answers differently from AWS in a way that matters to hoist, the fix goes here, as a small
patch to the one moto method that is wrong, so the emulator behaves as CloudFormation does.
Nothing here fabricates an answer: each fix makes moto do what its own code already does on
another path.

Every fix is tied to the moto version and the exact source of the method it patches: on
another moto whose patched method differs, importing this module fails (moto_server does not
start, and the test says why) instead of silently skipping the fix or patching code it was
not written for. Re-check the bug on that moto, then update or drop the fix.

Run moto_server with it as `python3 -m hoist_moto_server -H HOST -p PORT`, this directory on
PYTHONPATH (see hoist-testkit's `sandbox/moto.rs`).
"""

import hashlib
import inspect

import moto
from moto.cloudformation import models as cfn_models

# The moto release these fixes were written against.
MOTO_VERSION = "5.2.1"

# sha256 of `inspect.getsource(CloudFormationBackend.execute_change_set)` in moto 5.2.1.
_EXECUTE_CHANGE_SET_SHA256 = (
    "1090cb5b81abc8ff0422a9c1df9b0ea09192550345fbc198b448e9e9a148a050"
)


class MotoFixError(RuntimeError):
    """The installed moto is not the one a fix was written for."""


def _check_target(name, func, expected_sha256):
    try:
        source = inspect.getsource(func)
    except (OSError, TypeError) as e:
        raise MotoFixError(
            f"hoist_moto_fixes: cannot read the source of moto's {name} ({e}) to check it is "
            f"moto {MOTO_VERSION}'s"
        ) from e
    got = hashlib.sha256(source.encode("utf-8")).hexdigest()
    if got != expected_sha256:
        raise MotoFixError(
            f"hoist_moto_fixes: moto {moto.__version__} is installed, and its {name} differs "
            f"from moto {MOTO_VERSION}'s (sha256 {got}, expected {expected_sha256}): the fix "
            f"for it was written for {MOTO_VERSION} only. Install "
            f"`moto[server]=={MOTO_VERSION}` (scripts/sandbox up), or check whether this moto "
            f"still has the bug and update crates/hoist-testkit/python/hoist_moto_fixes.py."
        )


def _fix_execute_change_set():
    """ExecuteChangeSet leaves the stack without its template's Outputs (moto 5.2.1).

    The bug, in moto/cloudformation/models.py (5.2.1):
    - `CloudFormationBackend.create_change_set` creates a CREATE change set's stack as
      `Stack(template={}, ...)` (REVIEW_IN_PROGRESS, as AWS does), so the stack's
      `template_dict` is `{}` and its `output_map` is built from `{}`: no outputs.
    - `CloudFormationBackend.execute_change_set` applies the change set's template to the
      resources (`ChangeSet.apply` -> `ResourceMap.update`) and assigns `stack.template`, but
      never re-parses `stack.template_dict` nor rebuilds `stack.output_map`, and never
      registers the stack's exports. DescribeStacks therefore lists no Outputs for a stack
      created through a change set, ever; an UPDATE change set likewise keeps the previous
      template's output map (values parsed once, never re-evaluated).

    What moto does itself on its other paths, and the fix repeats after ExecuteChangeSet:
    - CreateStack (`create_stack` and `Stack.__init__`): parse the template into
      `template_dict`, set `description`, build `output_map` from it, check the exports are
      unique in the region and register them;
    - UpdateStack (`Stack.update`): re-parse the template and rebuild `output_map`.

    On AWS, ExecuteChangeSet "updates a stack using the input information that was provided
    when the specified change set was created" (CloudFormation API Reference,
    ExecuteChangeSet): the stack then has the change set's template, and DescribeStacks lists
    that template's `Outputs`, exactly as for a stack made by CreateStack or UpdateStack.
    """
    backend = cfn_models.CloudFormationBackend
    _check_target(
        "CloudFormationBackend.execute_change_set",
        backend.execute_change_set,
        _EXECUTE_CHANGE_SET_SHA256,
    )
    # What the fix calls besides the patched method (moto 5.2.1's names).
    for owner, attr in [
        (cfn_models.Stack, "_parse_template"),
        (cfn_models.Stack, "_create_output_map"),
        (backend, "_validate_export_uniqueness"),
        (backend, "describe_change_set"),
    ]:
        if not callable(getattr(owner, attr, None)):
            raise MotoFixError(
                f"hoist_moto_fixes: moto {moto.__version__} has no {owner.__name__}.{attr}, "
                f"which the ExecuteChangeSet fix (written for moto {MOTO_VERSION}) calls"
            )
    original = backend.execute_change_set

    def execute_change_set(self, change_set_name, stack_name=None):
        original(self, change_set_name, stack_name)
        # The change set original() executed: it looks it up the same way (id, else name).
        change_set = self.describe_change_set(change_set_name)
        stack = self.stacks[change_set.stack_id]
        # As Stack.__init__ (CreateStack) and Stack.update (UpdateStack) do.
        stack._parse_template()
        stack.description = stack.template_dict.get("Description")
        stack.output_map = stack._create_output_map()
        if change_set.change_set_type == "CREATE":
            # As create_stack does for a new stack's exports.
            self._validate_export_uniqueness(stack)
            for export in stack.exports:
                self.exports[export.name] = export

    execute_change_set.__doc__ = original.__doc__
    execute_change_set.__wrapped__ = original
    backend.execute_change_set = execute_change_set


# On another moto, each fix applies only when its target is byte-for-byte 5.2.1's, else the
# import fails (MotoFixError).
_fix_execute_change_set()
