"""Every English upper-tier authority from the England data: the register, ``init``, the national store and build."""
