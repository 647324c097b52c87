"""Chinese numerals as Taiwanese reports write them: 貳拾陸 for chapters, 二十六 for sections."""

from __future__ import annotations

FORMAL_DIGITS = "零壹貳參肆伍陸柒捌玖"
FORMAL_UNITS = ("", "拾", "佰")
LOWER_DIGITS = "〇一二三四五六七八九"
LOWER_UNITS = ("", "十", "百")
ZERO = "零"
# Every character a label's numeral may hold (for patterns recognising a typed or published label).
FORMAL_CHARACTERS = FORMAL_DIGITS + "".join(FORMAL_UNITS)
LOWER_CHARACTERS = LOWER_DIGITS + "".join(LOWER_UNITS) + ZERO


def _spell(n: int, digits: str, units: tuple[str, ...]) -> str:
    if not 1 <= n <= 999:
        raise ValueError(f"numeral out of range 1–999: {n}")
    hundreds, tens, ones = n // 100, n // 10 % 10, n % 10
    out = []
    if hundreds:
        out.append(digits[hundreds] + units[2])
    if tens:
        # 10–19 drop the leading one (拾壹, 十一); after a hundred it is spoken (壹佰壹拾).
        out.append(units[1] if tens == 1 and not hundreds else digits[tens] + units[1])
    elif hundreds and ones:
        out.append(ZERO)
    if ones:
        out.append(digits[ones])
    return "".join(out)


def formal(n: int) -> str:
    """26 → 貳拾陸, 10 → 拾, 101 → 壹佰零壹."""
    return _spell(n, FORMAL_DIGITS, FORMAL_UNITS)


def lower(n: int) -> str:
    """26 → 二十六, 10 → 十, 101 → 一百零一."""
    return _spell(n, LOWER_DIGITS, LOWER_UNITS)


def _read(text: str, digits: str, units: tuple[str, ...]) -> int | None:
    """The number a numeral of `_spell`'s form stands for (the way back), or None."""
    if not text or any(c not in digits + "".join(units) + ZERO + "〇" for c in text):
        return None
    total, pending = 0, None
    for char in text:
        if char in (ZERO, "〇"):
            continue
        if char in digits:
            if pending is not None:
                return None
            pending = digits.index(char)
        else:
            scale = 10 ** units.index(char)
            total += (1 if pending is None else pending) * scale
            pending = None
    total += pending or 0
    return total if 1 <= total <= 999 and _spell(total, digits, units) == text else None


def read_formal(text: str) -> int | None:
    """貳拾陸 → 26, 拾 → 10; None when `text` is not a formal numeral as `formal` writes it."""
    return _read(text, FORMAL_DIGITS, FORMAL_UNITS)


def read_lower(text: str) -> int | None:
    """二十六 → 26, 十 → 10; None when `text` is not a numeral as `lower` writes it."""
    return _read(text, LOWER_DIGITS, LOWER_UNITS)
