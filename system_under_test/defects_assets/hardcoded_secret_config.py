"""Planted for the ``hardcoded_secret`` defect: a credential committed to source.

A secret scan of this folder must find it. The values are AWS's published documentation
examples, so they grant nothing, but they have the exact shape a scanner looks for.
"""

AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
AWS_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
