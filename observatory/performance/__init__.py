"""Performance management: targets, forecasts, exception rules, change since last quarter, need against spend.

No HTML here: ``observatory.present.exception_page`` renders an :class:`ExceptionReport`.
"""
