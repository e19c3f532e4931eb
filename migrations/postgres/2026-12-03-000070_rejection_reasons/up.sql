-- Issue 16: the standard grounds on which a category's complaints are rejected, each with
-- its legal basis, one per line as "grounds｜legal basis"; editable on /admin/categories.
ALTER TABLE categories ADD COLUMN rejection_reasons TEXT NOT NULL DEFAULT '';
UPDATE categories SET rejection_reasons =
'投诉事项不属于市场监督管理部门职责，或者本机关不具有处理权限｜《市场监督管理投诉举报处理暂行办法》第十五条第一项
法院、仲裁机构、行政机关或者消费者协会等调解组织已经受理或者处理过同一争议｜《市场监督管理投诉举报处理暂行办法》第十五条第二项
不是为生活消费需要购买、使用商品或者接受服务，或者不能证明与被投诉人之间存在消费者权益争议｜《市场监督管理投诉举报处理暂行办法》第十五条第三项
自知道或者应当知道权益受到侵害之日起已超过三年｜《市场监督管理投诉举报处理暂行办法》第十五条第四项
未提供投诉人姓名、联系方式、被投诉人名称地址、具体诉求及基本事实等必需材料｜《市场监督管理投诉举报处理暂行办法》第十五条第五项、第九条、第十条';
