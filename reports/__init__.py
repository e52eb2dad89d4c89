"""The documents crosscheck produces for people, in the notices' own layout and
terms: the 补贴核算表 (001 annex 8) and the 公示名单 (000 §3(七), 001 §4(六)).
Every ID number in them is masked."""
