"""Easy-read: one short sentence per message; questions get yes/no buttons."""

from __future__ import annotations

from accessibility.easy_read import MAX_EN_WORDS, MAX_ZH_CHARS, is_question, split_messages


def test_one_sentence_per_message_zh() -> None:
    text = (
        "我们收到了您的求助。明天上午九点半，志愿者小王会到您家门口接您，陪您去医院。这样可以吗？"
    )
    messages = split_messages(text, "zh")
    assert messages[0] == "我们收到了您的求助。"
    assert messages[-1] == "这样可以吗？"
    assert all(len(m) <= MAX_ZH_CHARS + 2 for m in messages)
    assert "".join(messages).replace("。", "").replace("，", "") == text.replace("。", "").replace(
        "，", ""
    )


def test_one_sentence_per_message_en() -> None:
    text = (
        "We got your request. Tomorrow at half past nine, a volunteer will meet you at your "
        "door, and go with you to the hospital. It takes 2.5 hours. Is that all right?"
    )
    messages = split_messages(text, "en")
    assert messages[0] == "We got your request."
    assert "It takes 2.5 hours." in messages
    assert messages[-1] == "Is that all right?"
    assert all(len(m.split()) <= MAX_EN_WORDS for m in messages)
    assert all(m[0].isupper() and m[-1] in ".?!" for m in messages)


def test_questions() -> None:
    assert is_question("这样可以吗？")
    assert is_question("Is that all right? ")
    assert not is_question("Thank you.")


def test_empty() -> None:
    assert split_messages("", "en") == []
