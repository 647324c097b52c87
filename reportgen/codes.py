"""The catalogue of problem codes: each code's severity, message and fix, in one place.

A problem is made from its code (`Problems.add`), so severity is decided here rather than
where a check happens to run, and the same advice is written once. Messages and fixes are
`str.format` templates; `{header}` is filled from the problem's location when not given.
Codes are stable: tests and tools (the web page, `validate --report`) compare codes, not wording.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Severity(str, Enum):
    ERROR = "錯誤"
    WARNING = "警告"


E, W = Severity.ERROR, Severity.WARNING
_SAVE_AGAIN = ("這個檔案可能是由不會計算公式的程式產生；請用 Excel 或 LibreOffice Calc 開啟後"
               "直接存檔（會存入計算結果），再執行一次。")
_ONE_OF_TWO = "另一筆在 {other}；請刪除其中一筆。"


@dataclass(frozen=True)
class Code:
    severity: Severity
    message: str  # str.format template
    fix: str = ""  # str.format template


CODES: dict[str, Code] = {
    # --- files and sheets ---------------------------------------------------------------------
    "skipped-file": Code(W, "略過此檔：不支援{format}，其中的資料不會列入報告。",
                         "請在 Excel 或 Calc 開啟後「另存為」.xlsx 活頁簿，放回資料夾。"),
    "report-workbook": Code(W, "略過此檔：這是 reportgen 的檢核報告（含「{sheet}」工作表），不是資料活頁簿。",
                            "檢核報告請存放在輸入資料夾以外的地方。"),
    "no-known-sheet": Code(E, "這個活頁簿沒有任何可辨識的工作表。",
                           "工作表名稱須為 {sheets}，可用 reportgen init 產生空白活頁簿。"),
    "duplicate-sheet": Code(E, "工作表「{first}」與「{second}」都會被當成「{sheet}」"
                               "（名稱只差空白或全形半形），無法判斷要讀哪一個。",
                            "請把兩個工作表的資料合併到其中一個，並刪除或改名另一個。"),
    "missing-sheet": Code(E, "找不到工作表「{sheet}」。",
                          "請加入名為「{sheet}」的工作表（{help}），或用 reportgen init 產生空白活頁簿。"),
    "conflicting-sheet": Code(E, "工作表「{sheet}」與 {first} 的內容不同：{detail}。",
                              "「{sheet}」只需要在一個活頁簿中填寫；其他活頁簿請刪除此工作表或改成完全相同。"),
    "hidden-sheet": Code(W, "工作表「{sheet}」是隱藏的；其中的資料仍會讀取並印入報告。",
                         "請在工作表標籤上按右鍵選「取消隱藏」，確認內容後再產生報告。"),
    "hidden-rows": Code(W, "第 {rows} 列是隱藏或被篩選掉的列；其中的資料仍會讀取並印入報告。",
                        "請取消隱藏或清除篩選（資料 → 篩選 → 清除），確認內容後再產生報告。"),
    # --- what is not read (every non-empty cell is accounted for, SPEC §2) --------------------
    "unread-tab": Code(W, "工作表「{tab}」{why}，但不是「{known}」工作表，其中的資料不會讀取。",
                       "要列入報告的資料請移到「{known}」工作表（複製出來的工作表請合併後刪除）；"
                       "若只是自用筆記，請把工作表改名，不要含「{known}」或它的欄名。"),
    "unread-column": Code(W, "欄名「{found_header}」含有「{known}」，但不是可辨識的欄名，{where}不會讀取。",
                          "若這欄就是「{known}」，請把欄名改為「{known}」（註記可寫在括號內，"
                          "例如「{known}(說明)」）；若是自用的備註，請把欄名改為「備註」。"),
    "unread-other-sheet-column": Code(W, "欄名「{found_header}」{like}，但「{sheet}」工作表不讀這一欄，"
                                         "{where}不會讀取。",
                                      "「{sheet}」工作表讀取的欄位是：{headers}。{advice}"
                                      "若是自用的備註，請把欄名改為「備註」。"),
    "unread-settings-named-column": Code(W, "欄名「{found_header}」{like}，但「報告設定」只讀 A 欄的項目與 B 欄的內容，"
                                            "{where}不會讀取。",
                                         "要設定的值請填在 B 欄，一項一列（項目名稱填在 A 欄）；"
                                         "若是自用的說明，請把欄名改為「說明」或「備註」。"),
    "unnamed-column": Code(W, "{column} 欄沒有欄名，第 {rows} 列的資料不會讀取。",
                           "若這欄要列入報告，請在第 1 列填入欄名；若是自用的備註，請填欄名「備註」。"),
    "unread-settings-column": Code(W, "{column} 欄沒有欄名，第 {rows} 列的資料不會讀取："
                                      "「報告設定」只讀 A 欄的項目與 B 欄的內容。",
                                   "要設定的值請填在 B 欄；若是自用的說明，請在第 1 列填入欄名（例如「說明」）。"),
    "setting-value-in-name": Code(W, "項目「{item}」的內容（{cell}）是空白：冒號後的「{after}」只當作說明，不會讀取。",
                                  "若「{after}」是要填的值，請把它填在 {cell}，項目只寫「{header}」。"),
    "unknown-setting": Code(W, "「{item}」不是可辨識的項目，{cell} 的內容不會讀取。",
                            "請檢查 A 欄的項目名稱是否打錯；可用的項目：{items}。"),
    "unnamed-setting": Code(W, "這一列的 A 欄沒有項目名稱，內容不會讀取。",
                            "請在 A 欄填入項目名稱（{items}），或刪除這一列。"),
    "duplicate-setting": Code(E, "「{header}」填了兩次（{first} 與 {second}），無法判斷要用哪一個。",
                              "請刪除其中一列{same}。"),
    # --- headers ------------------------------------------------------------------------------
    "missing-column": Code(E, "工作表「{sheet}」缺少必要欄位「{header}」。{note}",
                           "請在第 1 列加上欄名「{header}」（{help}）。"),
    "missing-setting": Code(E, "報告設定缺少「{header}」。", "請在 A 欄加一列「{header}」，B 欄填入{help}"),
    "duplicate-column": Code(W, "欄名「{header}」重複出現，只讀取第一個（{first} 欄）。",
                             "請刪除或改名重複的欄位。"),
    "merged-header": Code(W, "第 1 列的 {span} 是合併儲存格，{letters} 欄因此沒有欄名，其中的資料不會讀取。",
                          "請取消合併儲存格，每欄各填一個欄名。"),
    # --- one cell -----------------------------------------------------------------------------
    "required": Code(E, "「{header}」{state}。", "請填入{hint}"),
    "invisible-chars": Code(W, "已移除看不見的字元（{chars}）：「{shown}」。",
                            "多半來自複製貼上，請確認文字無誤。"),
    "too-long": Code(E, "「{header}」太長（{length:,} 字，上限 {limit:,} 字）。", "{advice}"),
    "bad-number": Code(E, "「{header}」須為 {low} 到 {high} 之間的整數。{invisible}",
                       "請只填數字，例如 {example}。"),
    "bad-date": Code(E, "「{header}」不是有效的日期。{invisible}", "{forms}"),
    "western-year-date": Code(W, "「{header}」是日期儲存格，年份卻是西元 {year} 年：試算表把輸入的「{typed}」"
                                 "當成了西元年；已讀成民國 {roc}。",
                              "請把這一格的格式設為「文字」後重新輸入 {typed}（或改填西元 {western}），"
                              "其他程式才不會讀錯。"),
    "month-not-allowed": Code(E, "「{header}」須填到日，不能只填月份。", "請填寫完整日期，例如 110/9/8。"),
    "bad-choice": Code(E, "「{header}」的值不在選項中。{invisible}", "請從下拉選單選擇：{choices}。"),
    "formula-no-value": Code(E, "「{header}」是公式，但檔案中沒有儲存計算結果。", _SAVE_AGAIN),
    "formula-error": Code(E, "「{header}」是公式，計算結果是錯誤值 {value}。",
                          "請在 Excel 或 Calc 修正這個公式（或改填數值）後存檔，再執行一次。"),
    "merged-cells": Code(E, "{span} 是合併儲存格，合併後只有第一格 {first} 保有內容，"
                            "其餘各列的「{header}」都是空白。",
                         "請取消合併儲存格（常用 → 跨欄置中 → 取消合併），在每一列各自填入內容。"),
    # --- rules across rows --------------------------------------------------------------------
    "end-before-start": Code(E, "{later}早於{earlier}。", "{advice}"),
    "outside-period": Code(E, "{what}日期不在報告期間內。", "報告期間是 {start} 至 {end}；{advice}"),
    "duplicate-section": Code(E, "節次 {number} 重複。", "另一列在 {other}；節次不可重複。"),
    "no-sections": Code(E, "工作表「章節」沒有任何一節。", "請至少填寫一節（節次、節名、類型）。"),
    "unknown-section": Code(E, "找不到節次 {number}。", "{sections}"),
    "not-activity-section": Code(E, "節次 {number}「{title}」的類型是「{kind}」，不能放活動。", "{sections}"),
    "duplicate-activity": Code(E, "同一活動重複填寫（節次 {number}、{start}「{title}」）。", _ONE_OF_TWO),
    "duplicate-visit": Code(E, "同一訪賓重複填寫（{date}「{organisation}」）。", _ONE_OF_TWO),
    "missing-section-type": Code(E, "「{data}」有 {count:,} 列資料，但「章節」沒有類型為「{kind}」的節，"
                                    "這些資料不會出現在報告中。",
                                 "請在「章節」工作表新增一節，類型選「{kind}」。"),
    "repeated-section-type": Code(E, "類型為「{kind}」的節有 {count} 節（章節 {rows}），"
                                     "「{data}」的內容會重複印出。",
                                  "類型為「{kind}」的節只能有一節；請把其他節改為別的類型或刪除。"),
    "empty-section": Code(W, "節次 {number}「{title}」{nothing}{cut}。", "{advice}"),
    "typed-label": Code(W, "「{header}」的「{title}」開頭已有編號「{label}」；"
                           "本章的編號由 reportgen 自動加上，會印出兩次編號。",
                        "請刪除開頭的「{label}」，只寫{header}本身。"),
    "organisation-twice": Code(W, "「{header}」的「{representative}」以「{organisation_header}」的"
                                  "「{organisation}」開頭；名單會印成「{organisation}{representative}」，單位重複。",
                               "「{header}」只寫姓名與職稱，單位寫在「{organisation_header}」。"),
    "dangling-intro": Code(W, "前言以「：」結尾，但後面沒有名單；已刪去最後一句「{sentence}」。",
                           "若要保留這一句，請改寫前言的結尾。"),
    "dangling-content": Code(W, "內容的最後一段以「：」結尾，但後面沒有要介紹的內容；已刪去最後一句「{sentence}」。",
                             "若要保留這一句，請在後面補上分項（例如 1、……），或改寫這一句的結尾。"),
    "dangling-title": Code(W, "標題「{title}」以「：」結尾，但後面沒有內容；已刪去結尾的「：」。",
                           "請在「{header}」補上內容，或改寫標題的結尾。"),
    "too-many-items": Code(E, "節次 {number}「{title}」有 {count:,} 項活動，一節最多 {limit} 項。",
                           "請把活動分到幾個節。"),
    "bad-date-in-text": Code(W, "內容中的日期「{date}」不存在。", "請確認是否誤植。"),
    "date-in-text-outside": Code(W, "內容中的日期「{date}」不在本列的活動期間（{span}）內。",
                                 "可能是誤植，請確認內容或開始、結束日期。"),
    "bad-template": Code(E, "{message}", "{advice}"),
    # --- reportgen import: a published chapter back into a workbook ------------------------------
    "import-encoding": Code(W, "這個純文字檔不是 UTF-8，已當作 Big5（cp950）讀取。",
                            "請確認匯入的文字沒有亂碼；存檔時把編碼選為 UTF-8 最保險。"),
    "import-invisible": Code(W, "已移除看不見的字元（{chars}）：「{shown}」。",
                             "多半來自從 PDF 或網頁複製；請確認這一段的文字無誤。"),
    "import-line-unfinished": Code(W, "這一行的結尾沒有句末標點（「{end}」），下一行（第 {next} 行）接著是一般文字；"
                                      "當作 PDF 換頁或換欄斷開的同一段，已把兩行接成一段。",
                                   "若原本就是兩段，請在 .txt 這一行的結尾補上標點（例如「。」）後再匯入"
                                   "（.txt 一行就是一段）。"),
    "import-before-heading": Code(W, "章標題之前的 {count} 段不是本章的內容，沒有匯入。",
                                  "若其中有本章的文字，請移到章標題之後再匯入。"),
    "import-no-period": Code(W, "無法從內文判斷報告期間{candidates}。",
                             "請在「報告設定」填寫期間起與期間迄，或{how}。未填期間前，活動的開始日期留白。"),
    "import-mixed-widths": Code(W, "{what}全形與半形混用（較少的一種有 {count} 處）；「{setting}」設為{chosen}，"
                                   "產生時會統一為{chosen}。", "若原文是刻意混用，請在活頁簿中確認。"),
    "import-visit-stats": Code(W, "「{title}」是訪賓統計，無法從總數還原每一案訪賓；已轉為「文字」節，照原文保留。",
                               "若要由 reportgen 計算，請把類型改為「訪賓」，在「訪賓」工作表逐案填寫，"
                               "並把前言中的數字改為 {{{{ 案數 }}}}、{{{{ 人數 }}}}。"),
    "import-empty-section": Code(W, "「{title}」這一節沒有任何內容。", "請確認原文是否缺漏。"),
    "import-next-chapter": Code(W, "這裡起是另一章（「{heading}」），沒有匯入；只匯入第一章。",
                                "一次匯入一章：請把其他章另存成檔案，各自匯入成自己的活頁簿。"),
    "import-renumbered": Code(W, "標號「{label}」不連續（依順序應為「{expected}」）；產生時會依順序重新編號。",
                              "若這一段不是新的節或項目，請在活頁簿中把它移回上一項的內容。"),
    "import-long-title": Code(W, "這一項的標題超過 {limit} 字，產生時會被擋下。",
                              "請在活頁簿中把標題縮短，其餘文字移到「內容」（章節的「項目格式」可改為標題接內文）。"),
    "import-long-text": Code(W, "匯入的「{header}」有 {length:,} 字，超過 {limit:,} 字的上限，產生時會被擋下。",
                             "請在活頁簿中精簡這段文字，或把它分成幾項活動。"),
    "import-dangling-colon": Code(W, "「{paragraph}」以「：」結尾，其後在{scope}中卻沒有任何文字；"
                                     "除非其後補上內容，產生時{effect}。",
                                  "若原文確是如此，請在活頁簿中於其後補上要介紹的內容（例如 1、……），"
                                  "或改寫這一句的結尾。"),
    "import-no-sections": Code(W, "章標題之後沒有「一、」這樣的節標題；全部文字都放在章的前言。",
                               "請確認原文的節標題寫法（國字數字加頓號）。"),
    "blank-content": Code(W, "「{header}」空白，這一項只會印出標題。",
                          "請填寫內容；若本節的項目本來就只有一句，可在「章節」把「項目格式」改為「標題接內文」。"),
    "sub-item-numbering": Code(W, "子項序號跳號或重複：{labels}。",
                               "同一層的序號應依序為 1、2、3……（(1)、甲、A、a 亦同）；請確認是否漏打或多打。"),
    "single-brace": Code(W, "前言的「{typed}」只有一層大括號，會照字面印出。", "代入值要用兩層大括號：{fixed}。"),
    "unpaired-brace": Code(W, "前言的「{typed}」左右大括號數目不同，不會代入數值。", "代入值要用兩層大括號：{fixed}。"),
    "preface-outside-period": Code(W, "前言寫出的「{typed}」不在報告期間（{period}）內，多半是沿用了上期的前言。",
                                   "期間請改寫成 {short}（本期印出「{short_value}」）或 {full}"
                                   "（「{full_value}」），每期會自動代入。"),
}


def severity(code: str) -> Severity:
    return CODES[code].severity
