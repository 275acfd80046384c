"""Two-region warm-standby DR stack: constructs, settings and stacks.

Entry points call ``dr_stack.binding.install()`` before the first import of the AWS binding (main.py, the tests'
conftest, the scripts): importing this package does not change the import system by itself.
"""
